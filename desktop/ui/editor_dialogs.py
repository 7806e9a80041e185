"""Dialogs of the credentials editor: regenerating a secret and resolving a conflict."""

from dataclasses import dataclass
from datetime import timedelta

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.entities import ApiKeyInfo, ApplicationSummary


def describe(application: ApplicationSummary) -> str:
    return f"{application.team_name} / {application.name} ({application.environment.value})"


class RegenerateDialog(QDialog):
    """Asks whether the old key stops at once or keeps working for an overlap."""

    def __init__(
        self, application: ApplicationSummary, key: ApiKeyInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Regenerate secret")
        question = QLabel(
            f"Create a new key and secret for <b>{describe(application)}</b> to replace "
            f"<b>{key.client_id}</b>? Clients must be given the new key."
        )
        question.setWordWrap(True)
        self._now = QRadioButton("Stop the old key &immediately")
        self._now.setAccessibleName("Stop the old key immediately")
        self._overlap = QRadioButton("Keep the old key working for an &overlap of")
        self._overlap.setAccessibleName("Keep the old key working")
        self._overlap.setChecked(True)
        self._hours = QSpinBox()
        self._hours.setAccessibleName("Overlap hours")
        self._hours.setRange(1, 24 * 30)
        self._hours.setValue(24)
        self._hours.setSuffix(" hours")
        self._overlap.toggled.connect(self._hours.setEnabled)
        overlap_row = QHBoxLayout()
        overlap_row.addWidget(self._overlap)
        overlap_row.addWidget(self._hours)
        overlap_row.addStretch()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        regenerate = buttons.addButton("&Regenerate", QDialogButtonBox.ButtonRole.AcceptRole)
        regenerate.setAccessibleName("Regenerate")
        # A destructive action is never the default.
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        regenerate.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self._now)
        layout.addLayout(overlap_row)
        layout.addWidget(buttons)

    @property
    def overlap(self) -> timedelta | None:
        if self._now.isChecked():
            return None
        return timedelta(hours=self._hours.value())


@dataclass(frozen=True)
class FieldChoice:
    name: str
    mine: str
    theirs: str
    mine_shown: str | None = None
    """Display text for `mine` when the raw value is hard to compare; None shows the value."""
    theirs_shown: str | None = None


class ConflictDialog(QDialog):
    """Shows both values of each field changed at two desks and lets the user pick per field."""

    def __init__(self, fields: list[FieldChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Someone else saved first")
        self._fields = fields
        self._groups: list[QButtonGroup] = []

        layout = QVBoxLayout(self)
        intro = QLabel(
            "These security details were saved at another desk while you edited them. "
            "For each field, choose which value to keep. Nothing is overwritten until "
            "you save."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        for field in fields:
            box, group = self._field_box(field)
            self._groups.append(group)
            layout.addWidget(box)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        use = buttons.addButton("&Use these values", QDialogButtonBox.ButtonRole.AcceptRole)
        use.setAccessibleName("Use these values")
        use.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _field_box(self, field: FieldChoice) -> tuple[QGroupBox, QButtonGroup]:
        """Build the two choices for one field, with "Keep mine" selected."""
        box = QGroupBox(field.name)
        grid = QGridLayout(box)
        group = QButtonGroup(self)
        displayed = (
            field.mine if field.mine_shown is None else field.mine_shown,
            field.theirs if field.theirs_shown is None else field.theirs_shown,
        )
        labels = ("Keep &mine", "Take &theirs")
        descriptions = ("my value", "their value")
        for column in range(2):
            choice = QRadioButton(labels[column])
            choice.setAccessibleName(f"{field.name}: {labels[column].replace('&', '')}")
            group.addButton(choice, column)
            view = QPlainTextEdit(displayed[column])
            view.setReadOnly(True)
            view.setAccessibleName(f"{field.name}: {descriptions[column]}")
            view.setMaximumHeight(120)
            grid.addWidget(choice, 0, column)
            grid.addWidget(view, 1, column)
        group.button(0).setChecked(True)
        return box, group

    def choose(self, name: str, theirs: bool) -> None:
        for field, group in zip(self._fields, self._groups, strict=True):
            if field.name == name:
                group.button(1 if theirs else 0).setChecked(True)

    def chosen(self) -> dict[str, str]:
        return {
            field.name: field.theirs if group.checkedId() == 1 else field.mine
            for field, group in zip(self._fields, self._groups, strict=True)
        }
