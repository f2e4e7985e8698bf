"""The few texts the emulator generates, in English and German.

Example::

    >>> text("virus", "de-DE", name="a.txt")
    'Die Datei a.txt wurde entfernt, da ein Virus gefunden wurde.'
    >>> language_of("fr-CH, de;q=0.8")
    'fr'
"""

from __future__ import annotations

from typing import Final

__all__ = ["language_of", "text"]

_TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "size_mismatch": (
            "The file {name} was removed because its size ({actual} bytes) differs from"
            " the registered size ({expected} bytes)."
        ),
        "checksum_mismatch": (
            "The file {name} was removed because its checksum does not match the registered"
            " checksum."
        ),
        "blocked_extension": "The file {name} was removed because its file type is not allowed.",
        "virus": "The file {name} was removed because a virus was found.",
        "code_subject": "Your verification code",
        "code_body": "Your verification code is: {code}",
        "notification_subject": "{sender} has sent you files",
        "notification_body": "Download: {url}",
        "files_heading": "Files:",
        "upload_subject": "Your transfer {tracking_id} is available",
        "upload_body": "Your transfer {tracking_id} was provided to its recipients.",
        "download_subject": "A file of your transfer {tracking_id} was downloaded",
        "download_body": "{recipient} downloaded {name}.",
        "summary_subject": "Download summary of transfer {tracking_id}",
        "summary_body": "Your transfer {tracking_id} has expired.",
        "revocation_subject": "The transfer {tracking_id} was revoked",
        "revocation_sender_body": "You revoked the transfer {tracking_id}.",
        "revocation_recipient_body": "The sender revoked this transfer; it is no longer available.",
    },
    "de": {
        "size_mismatch": (
            "Die Datei {name} wurde entfernt, da ihre Größe ({actual} Bytes) von der"
            " angemeldeten Größe ({expected} Bytes) abweicht."
        ),
        "checksum_mismatch": (
            "Die Datei {name} wurde entfernt, da ihre Prüfsumme nicht mit der angemeldeten"
            " Prüfsumme übereinstimmt."
        ),
        "blocked_extension": "Die Datei {name} wurde entfernt, da ihr Dateityp nicht erlaubt ist.",
        "virus": "Die Datei {name} wurde entfernt, da ein Virus gefunden wurde.",
        "code_subject": "Ihr Verifizierungscode",
        "code_body": "Ihr Verifizierungscode lautet: {code}",
        "notification_subject": "{sender} hat Ihnen Dateien gesendet",
        "notification_body": "Download: {url}",
        "files_heading": "Dateien:",
        "upload_subject": "Ihr Transfer {tracking_id} ist verfügbar",
        "upload_body": "Ihr Transfer {tracking_id} wurde den Empfängern bereitgestellt.",
        "download_subject": "Eine Datei Ihres Transfers {tracking_id} wurde heruntergeladen",
        "download_body": "{recipient} hat {name} heruntergeladen.",
        "summary_subject": "Download-Zusammenfassung des Transfers {tracking_id}",
        "summary_body": "Ihr Transfer {tracking_id} ist abgelaufen.",
        "revocation_subject": "Der Transfer {tracking_id} wurde zurückgezogen",
        "revocation_sender_body": "Sie haben den Transfer {tracking_id} zurückgezogen.",
        "revocation_recipient_body": (
            "Der Absender hat diesen Transfer zurückgezogen; er ist nicht mehr verfügbar."
        ),
    },
}


def language_of(accept_language: str | None, default: str = "en") -> str:
    """The primary subtag of the first language in an ``Accept-Language`` value."""
    if not accept_language:
        return default
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    primary = first.split("-", 1)[0].split("_", 1)[0].lower()
    return primary if primary.isalpha() else default


def text(key: str, language: str | None, **params: object) -> str:
    """The text ``key`` in ``language`` (English when that language is not known)."""
    table = _TEXTS.get(language_of(language), _TEXTS["en"])
    return table[key].format(**params)
