"""Settings' mail section: the hall's mail server, the password (keyring only), the rate and the reminder
schedule, with a "Send test email" button."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from treasurer import clock, credentials
from treasurer.errors import ValidationError
from treasurer.mail_message import trial_message
from treasurer.mail_settings import (
    DEFAULT_PORTS,
    SECURITY,
    catcher_address,
    check_address,
    check_mail_settings,
    mail_settings,
    parse_days,
    reminder_schedule,
    save_reminder_schedule,
    sending_settings,
    write_mail_settings,
)
from treasurer.mailer import Mailer

from .context import AppContext
from .errors import guarded
from .workers import run_with_progress

SECURITY_LABELS = {"starttls": "STARTTLS (port 587)", "tls": "TLS (port 465)",
                   "none": "None (only a server on this computer)"}


class MailSection(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__("Email (slips and reminders through the hall's mail server)", parent)
        self.setObjectName("mail-section")
        self.ctx = ctx
        form = QFormLayout(self)
        self.host = QLineEdit()
        self.host.setObjectName("mail-host")
        self.host.setPlaceholderText("smtp.gmail.com, smtp.office365.com, your provider's server")
        self.port = QSpinBox()
        self.port.setObjectName("mail-port")
        self.port.setRange(1, 65535)
        self.security = QComboBox()
        self.security.setObjectName("mail-security")
        for key in SECURITY:
            self.security.addItem(SECURITY_LABELS[key], key)
        self.security.activated.connect(lambda _: self.port.setValue(DEFAULT_PORTS[self.security.currentData()]))
        self.sender = QLineEdit()
        self.sender.setObjectName("mail-from")
        self.sender.setPlaceholderText("IBEW Local 000 <treasurer@local000.org>")
        self.reply_to = QLineEdit()
        self.reply_to.setObjectName("mail-reply-to")
        self.reply_to.setPlaceholderText("(the From address)")
        self.user = QLineEdit()
        self.user.setObjectName("mail-user")
        self.password = QLineEdit()
        self.password.setObjectName("mail-password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("an app password; kept in the system keyring, never in the books")
        self.per_minute = QSpinBox()
        self.per_minute.setObjectName("mail-per-minute")
        self.per_minute.setRange(0, 10000)
        self.per_minute.setSuffix(" a minute")
        self.per_minute.setSpecialValueText("No limit")
        self.days = QLineEdit()
        self.days.setObjectName("reminder-days")
        self.most = QSpinBox()
        self.most.setObjectName("reminders-most")
        self.most.setRange(0, 12)
        self.save_button = QPushButton("Save mail settings")
        self.save_button.setObjectName("mail-save")
        self.save_button.clicked.connect(self.save)
        self.test_to = QLineEdit()
        self.test_to.setObjectName("mail-test-to")
        self.test_to.setPlaceholderText("send a test to this address")
        self.test_button = QPushButton("Send test email")
        self.test_button.setObjectName("mail-test")
        self.test_button.clicked.connect(self.send_test)
        self.result = QLabel()
        self.result.setObjectName("mail-result")
        self.result.setWordWrap(True)
        form.addRow("&Server", self.host)
        form.addRow("Port", self.port)
        form.addRow("Security", self.security)
        form.addRow("&From", self.sender)
        form.addRow("Reply-to", self.reply_to)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        form.addRow("Rate", self.per_minute)
        form.addRow("Reminder days", self.days)
        form.addRow("Most reminders a slip", self.most)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_to, 1)
        test_row.addWidget(self.test_button)
        form.addRow(self.save_button, test_row)
        form.addRow("", self.result)
        self.load()

    def load(self) -> None:
        s = mail_settings(self.ctx.hall)
        self.host.setText(s.host)
        self.port.setValue(s.port)
        self.security.setCurrentIndex(max(0, self.security.findData(s.security)))
        self.sender.setText(s.sender)
        self.reply_to.setText(s.reply_to)
        self.user.setText(s.user)
        self.per_minute.setValue(s.per_minute)
        r = reminder_schedule(self.ctx.hall)
        self.days.setText(",".join(map(str, r.days)))
        self.most.setValue(r.most)
        if catcher_address() is not None:
            self.result.setText("Sandbox mode: mail goes to the app's own mail catcher on this computer, whatever "
                                "is saved here; see Slips > Sent mail.")

    @guarded
    def save(self, *args) -> None:
        parse_days(self.days.text())                 # every value checked before anything is saved
        values = check_mail_settings(self.host.text(), self.port.value(), self.security.currentData(),
                                     self.sender.text(), self.user.text(), self.reply_to.text(),
                                     self.per_minute.value())
        password = self.password.text()
        if password and not self.user.text().strip():
            raise ValidationError("A password needs a user name to go with it.")
        if password:
            credentials.store(credentials.MAIL_PASSWORD, password)
        write_mail_settings(self.ctx.hall, values)
        save_reminder_schedule(self.ctx.hall, self.days.text(), self.most.value())
        self.password.clear()
        self.result.setText("Saved." + (" The password is in the system keyring." if password else ""))

    @guarded
    def send_test(self, *args) -> None:
        to = check_address(self.test_to.text(), "test address")
        hall = self.ctx.hall
        settings = sending_settings(hall)
        mailer = Mailer(settings, None if catcher_address() else credentials.mail_password())

        def work(progress):
            mailer.connect()
            msg = trial_message(settings.sender, settings.reply_to, to, hall.setting("hall_name"), clock.now(),
                                settings.sender_address.rpartition("@")[2])
            return mailer.send_trial(msg, to)

        answer, _ = run_with_progress(self, "Send test email", f"Sending a test message to {to}…", work,
                                      cancellable=False)
        self.result.setText(f"Sent a test message to {to} through {settings.where}; the server answered {answer}.")
