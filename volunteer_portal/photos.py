"""Checking and shrinking uploaded photos with Pillow."""

import logging
from io import BytesIO

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
STORAGE_RETRY_AFTER_SECONDS = 30

logger = logging.getLogger(__name__)


def validate_photo(upload: UploadedFile) -> None:
    """Images only (by their content, not their name), no larger than PHOTO_MAX_BYTES."""
    limit = settings.PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size).1f MB; a photo may be at most %(limit).0f MB.")
            % {"name": upload.name, "size": upload.size / 1024 / 1024, "limit": limit / 1024 / 1024},
            code="photo_too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
        # verify() reads only the headers; decoding the whole picture catches a file cut off in transit.
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("“%(name)s” is not a photo: upload JPEG, PNG, GIF or WebP images.") % {"name": upload.name},
            code="photo_not_image",
        ) from None
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("“%(name)s” is not a photo: upload JPEG, PNG, GIF or WebP images.") % {"name": upload.name},
            code="photo_not_image",
        )


def validate_photos(uploads: list[UploadedFile]) -> None:
    """Every photo of a form checked before anything is written, each bad one named in one error."""
    errors = []
    for upload in uploads:
        try:
            validate_photo(upload)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)


def photo_response(field: FieldFile) -> HttpResponseBase:
    """A stored photo as the answer of a scoped view (the caller has checked who may see it). Photos show people:
    like every signed-in page, not cached (security.NeverCacheSignedInMiddleware).

    A photo whose file is gone answers 404. Storage that cannot be read now (a disk error, the object store
    unreachable or refusing the key) answers 503 with `Retry-After` and says so, and the error is logged: the
    page around the photo is not an error, and the photo comes back once the storage does (a refused key, once
    it is put right: docs/deploy.md, section 10). Only the opening is checked: a store that fails while the
    photo is being sent cuts the picture short."""
    try:
        handle = field.open("rb")
    except FileNotFoundError:  # the row outlived its file (a restore, a cleaned bucket): gone, not a server error
        raise Http404 from None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchKey":
            raise Http404 from None
        return _storage_unavailable(field)
    except (OSError, BotoCoreError):
        return _storage_unavailable(field)
    return FileResponse(handle, content_type="image/jpeg")


def _storage_unavailable(field: FieldFile) -> HttpResponse:
    logger.exception("The photo %s could not be read from storage", field.name)
    return HttpResponse(
        _("The photo cannot be read at the moment. Please try again in a little while."),
        status=503,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)},
    )


def to_jpeg(upload: UploadedFile, *, max_width: int | None = None) -> ContentFile:
    """A JPEG copy, turned upright by its EXIF orientation and, with max_width, shrunk to fit."""
    upload.seek(0)
    with Image.open(upload) as source:
        image = ImageOps.exif_transpose(source).convert("RGB")
    if max_width and image.width > max_width:
        image.thumbnail((max_width, max_width * 4))
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return ContentFile(buffer.getvalue())
