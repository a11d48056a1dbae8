"""Indonesian for the messages of Django REST framework that the API can send.

DRF's own Indonesian catalogue translates about a third of its messages, so a client asking in Indonesian read
"Invalid token." or "Invalid data. Expected a dictionary, but got list." beside the project's Indonesian. The
project's catalogue comes first for Django (LOCALE_PATHS), so it carries them: each text below is DRF's English
message exactly, marked only so that `makemessages` collects it (DRF translates and formats it itself). Two of
DRF's messages are not translatable in DRF at all ("JSON parse error - …", "CSRF Failed: …"); the API's exception
handler words those (`helpdesk.core.api`).
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

DRF_MESSAGES = (
    # Authentication (the token header and the token itself).
    gettext_noop("Invalid token."),
    gettext_noop("Invalid token header. No credentials provided."),
    gettext_noop("Invalid token header. Token string should not contain spaces."),
    gettext_noop("Invalid token header. Token string should not contain invalid characters."),
    gettext_noop("User inactive or deleted."),
    # The request body.
    gettext_noop("Malformed request."),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("The submitted data was not a file. Check the encoding type on the form."),
    gettext_noop("No filename could be determined."),
    gettext_noop("Upload a valid image. The file you uploaded was either not an image or a corrupted image."),
    gettext_noop('Method "{method}" not allowed.'),
    # Fields.
    gettext_noop("Invalid input."),
    gettext_noop("Invalid value."),
    gettext_noop("Not a valid string."),
    gettext_noop("String value too large."),
    gettext_noop("Surrogate characters are not allowed: U+{code_point:X}."),
    gettext_noop("A valid number is required."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("This value does not match the required pattern."),
    gettext_noop("Datetime value out of range."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop('Expected a dictionary of items but got type "{input_type}".'),
    gettext_noop("This list may not be empty."),
    gettext_noop("This dictionary may not be empty."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop("Incorrect type. Expected pk value, received {data_type}."),
    gettext_noop("Object with {slug_name}={value} does not exist."),
    gettext_noop("This field must be unique."),
    gettext_noop("The fields {field_names} must make a unique set."),
)
