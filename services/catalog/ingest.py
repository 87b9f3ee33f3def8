"""Bringing outside content into the catalog: SCORM packages and provider feeds."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from services.catalog import repository
from services.catalog.models import Course, Item, ItemKind, Provider, ScormPackage
from services.catalog.objectstore import ObjectStore, guess_type
from services.catalog.providers import ContentProvider
from services.catalog.schemas import SyncResult
from services.catalog.scorm import ParsedPackage
from services.catalog.service import unique_course_id
from services.common.db import utcnow

ASSET_ROUTE = "/catalog/assets/"


def import_scorm(
    session: Session, store: ObjectStore, package: ParsedPackage, *, author: str | None
) -> tuple[ScormPackage, Course, list[Item]]:
    """Store the package's files and create a course with one ``scorm`` item per SCO."""
    package_id = str(uuid.uuid4())
    prefix = f"scorm/{package_id}"
    for name, data in package.files.items():
        store.put(f"{prefix}/{name}", data, guess_type(name))
    course_id = unique_course_id(session, package.title)
    course = Course(
        id=course_id,
        title=package.title[:255],
        description=f"SCORM {package.version} package {package.identifier}",
        language="en",
        source="scorm",
        source_ref=package_id,
        created_by=author,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(course)
    session.flush()
    items = []
    for position, sco in enumerate(package.items):
        item = Item(
            id=f"scorm-{uuid.uuid4().hex[:16]}",
            course_id=course_id,
            lesson_id=None,
            position=position,
            kind=ItemKind.SCORM.value,
            title=sco.title[:512],
            body="",
            url=f"{ASSET_ROUTE}{prefix}/{sco.href}",
            content={
                "scorm_version": package.version,
                "identifier": sco.identifier,
                "scorm_type": sco.scorm_type,
                "parameters": sco.parameters,
                "package_id": package_id,
            },
            language="en",
            source="scorm",
            source_ref=f"{package_id}/{sco.identifier}"[:255],
            created_by=author,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(item)
        items.append(item)
    record = ScormPackage(
        id=package_id,
        course_id=course_id,
        version=package.version,
        identifier=package.identifier[:255],
        title=package.title[:512],
        asset_prefix=prefix,
        file_count=len(package.files),
        size_bytes=package.size,
        uploaded_by=author,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    return record, course, items


def sync_provider(session: Session, provider: Provider, adapter: ContentProvider) -> SyncResult:
    """Create or update one item per feed entry in the provider's course."""
    entries = adapter.fetch()
    source = f"provider:{provider.name}"
    if (
        provider.course_id is None
        or repository.get_course(session, course_id=provider.course_id) is None
    ):
        course_id = unique_course_id(session, f"feed {provider.name}")
        session.add(
            Course(
                id=course_id,
                title=f"Feed: {provider.name}",
                description=f"Entries of {provider.url}",
                source=source,
                source_ref=provider.name,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        session.flush()
        provider.course_id = course_id
    existing = repository.existing_refs(session, Item, source=source)
    created = updated = 0
    for position, entry in enumerate(entries):
        item_id = existing.get(entry.ref)
        item = repository.get_item(session, item_id=item_id) if item_id else None
        if item is None:
            item = Item(
                id=f"ext-{uuid.uuid4().hex[:16]}",
                source=source,
                source_ref=entry.ref,
                course_id=provider.course_id,
                created_at=utcnow(),
                content={},
                language="en",
            )
            session.add(item)
            created += 1
        elif (item.title, item.url, item.body) != (entry.title, entry.url, entry.summary):
            updated += 1
        item.kind = entry.kind
        item.title = entry.title
        item.url = entry.url
        item.body = entry.summary
        item.position = position
        item.attribution = f"From {provider.url}"
        item.updated_at = utcnow()
    provider.last_synced_at = utcnow()
    return SyncResult(
        provider=provider.name, course_id=provider.course_id, created=created, updated=updated
    )
