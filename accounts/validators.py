from django.core.exceptions import ValidationError


def npi_is_valid(npi: str) -> bool:
    """An NPI is 10 digits whose last is a Luhn check digit over '80840' + the first nine."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    # Luhn: double every second digit from the right of the payload (the check digit is apart).
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if not npi_is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid NPI: it must be 10 digits with a correct check digit.",
            params={"value": value},
            code="invalid_npi",
        )
