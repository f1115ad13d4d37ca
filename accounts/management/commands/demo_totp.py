from base64 import b32encode
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo user (demo authenticator only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        # Only the seeded demo devices: a real user's authenticator is never readable here.
        device = TOTPDevice.objects.filter(
            user__username=username, name="Demo authenticator", confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(
            f"{code:06d}  (key for an authenticator app: {b32encode(device.bin_key).decode()})"
        )
