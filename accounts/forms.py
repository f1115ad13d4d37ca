import re

from django import forms

BACKUP_CODE = re.compile(r"^[a-z2-7]{8}$")


class TokenForm(forms.Form):
    """A six-digit code from the authenticator app, or one backup code (eight letters/digits)."""

    token = forms.CharField(
        label="Six-digit code from your authenticator app",
        help_text="Lost your phone? Enter one of your backup codes instead.",
        min_length=6,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean_token(self) -> str:
        token = re.sub(r"[\s-]", "", self.cleaned_data["token"]).lower()
        if token.isdigit() and len(token) == 6:
            return token
        if BACKUP_CODE.match(token):
            return token
        raise forms.ValidationError("The code is six digits, or a backup code of eight characters.")

    @property
    def is_backup_code(self) -> bool:
        return not self.cleaned_data["token"].isdigit()


class EnrolForm(TokenForm):
    """Enrolment proves the new authenticator itself: backup codes do not exist yet."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["token"].help_text = ""

    def clean_token(self) -> str:
        token = super().clean_token()
        if not token.isdigit():
            raise forms.ValidationError("Enter the six-digit code your authenticator app shows.")
        return token


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Device or integration name",
        max_length=100,
        help_text="For example: EHR interface, Riverside server 2. You can revoke each one.",
    )
