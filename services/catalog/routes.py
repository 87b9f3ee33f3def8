"""Catalog endpoints (``/catalog``). Reads are public and cacheable (ETag); writes need an
instructor or admin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from features.datasets.content_pack import ATTRIBUTION
from learnloop.web import cached_json, problem_responses
from services.catalog import ingest, repository, scorm, service
from services.catalog.deps import ObjectStoreDep
from services.catalog.models import ItemKind, Provider
from services.catalog.objectstore import InvalidKeyError, guess_type
from services.catalog.providers import ProviderError, provider_for
from services.catalog.schemas import (
    Attribution,
    CourseCreate,
    CourseDetail,
    CoursePublic,
    CoursesPublic,
    CourseUpdate,
    ItemCreate,
    ItemPublic,
    ItemsPublic,
    ItemUpdate,
    ProviderCreate,
    ProviderPublic,
    ProvidersPublic,
    ScormImportPublic,
    SkillPublic,
    SkillsPublic,
    SyncResult,
    TaxonomyPublic,
    TermPublic,
)
from services.common.deps import (
    PRINCIPAL_STATE_KEY,
    IdPath,
    PlatformDep,
    SessionDep,
    allowed,
    bearer_scheme,
    current_principal,
)
from services.common.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    UpstreamError,
)
from services.common.principal import Principal
from services.common.rbac import Action, is_allowed


class ScormPackageError(InvalidInputError):
    """A SCORM package that cannot be imported (400, naming the member or manifest part)."""

    status = 400
    slug = "invalid-scorm-package"


router = APIRouter(prefix="/catalog", tags=["catalog"])
Author = Annotated[Principal, Depends(allowed(Action.CATALOG_WRITE))]
WRITE_ERRORS = problem_responses(401, 403, 404)
CACHED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (If-None-Match matched the ETag)"}
}
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=200)]
SearchText = Annotated[str | None, Query(max_length=200)]
AssetKey = Annotated[str, Path(min_length=1, max_length=1024, pattern=r"^[^\x00-\x1f\x7f]+$")]
Ident = Annotated[str | None, Query(max_length=255)]


def _optional_caller(
    request: Request,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    """The caller if a token was sent (answers are shown to authors only)."""
    if credentials is None and PRINCIPAL_STATE_KEY not in request.scope.get("state", {}):
        return None
    return current_principal(request, platform, credentials)


OptionalCaller = Annotated[Principal | None, Depends(_optional_caller)]


def _max_age(platform: PlatformDep) -> int:
    return platform.settings.catalog.cache_max_age_s


@router.get(
    "/courses",
    response_model=CoursesPublic,
    responses=CACHED,
    summary="Search and filter courses",
)
def list_courses(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    q: SearchText = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    term: Ident = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Response:
    courses, count = repository.list_courses(
        session, q=q, language=language, term=term, offset=offset, limit=limit
    )
    page = CoursesPublic(
        data=[CoursePublic.model_validate(c) for c in courses],
        count=count,
        limit=limit,
        offset=offset,
    )
    return cached_json(request, page, max_age=_max_age(platform))


@router.post(
    "/courses",
    response_model=CoursePublic,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
    summary="Create a course",
)
def create_course(data: CourseCreate, session: SessionDep, author: Author) -> CoursePublic:
    return CoursePublic.model_validate(
        service.create_course(session, data=data, author=author.subject)
    )


@router.get(
    "/courses/{course_id}",
    response_model=CourseDetail,
    responses={**CACHED, **problem_responses(404)},
    summary="A course with its lessons",
)
def read_course(
    course_id: IdPath, request: Request, session: SessionDep, platform: PlatformDep
) -> Response:
    course = service.get_course_or_404(session, course_id=course_id)
    return cached_json(
        request, service.course_detail(session, course=course), max_age=_max_age(platform)
    )


@router.patch(
    "/courses/{course_id}",
    response_model=CoursePublic,
    responses=WRITE_ERRORS,
    summary="Update a course",
)
def update_course(
    course_id: IdPath, data: CourseUpdate, session: SessionDep, _author: Author
) -> CoursePublic:
    course = service.get_course_or_404(session, course_id=course_id)
    return CoursePublic.model_validate(service.update_course(session, course=course, data=data))


@router.delete(
    "/courses/{course_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE_ERRORS,
    summary="Delete a course",
)
def delete_course(course_id: IdPath, session: SessionDep, _author: Author) -> Response:
    session.delete(service.get_course_or_404(session, course_id=course_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/items",
    response_model=ItemsPublic,
    responses=CACHED,
    summary="Search and filter content items",
)
def list_items(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    caller: OptionalCaller,
    q: SearchText = None,
    course_id: Ident = None,
    lesson_id: Ident = None,
    kind: ItemKind | None = None,
    skill: Ident = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Response:
    items, count = repository.list_items(
        session,
        q=q,
        course_id=course_id,
        lesson_id=lesson_id,
        kind=kind.value if kind else None,
        skill=skill,
        offset=offset,
        limit=limit,
    )
    with_answers = caller is not None and is_allowed(caller, Action.CATALOG_WRITE)
    shown = service.items_public(session, items, with_answers=with_answers)
    page = ItemsPublic(
        data=shown,
        count=count,
        limit=limit,
        offset=offset,
        attribution=service.page_attribution(shown),
    )
    return cached_json(request, page, max_age=_max_age(platform), public=not with_answers)


@router.post(
    "/items",
    response_model=ItemPublic,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
    summary="Create an item",
)
def create_item(data: ItemCreate, session: SessionDep, author: Author) -> ItemPublic:
    item = service.create_item(session, data=data, author=author.subject)
    return service.items_public(session, [item], with_answers=True)[0]


@router.get(
    "/items/{item_id}",
    response_model=ItemPublic,
    responses={**CACHED, **problem_responses(404)},
    summary="A content item (answers and hints only for authors)",
)
def read_item(
    item_id: IdPath,
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    caller: OptionalCaller,
) -> Response:
    item = service.get_item_or_404(session, item_id=item_id)
    with_answers = caller is not None and is_allowed(caller, Action.CATALOG_WRITE)
    shown = service.items_public(session, [item], with_answers=with_answers)[0]
    return cached_json(request, shown, max_age=_max_age(platform), public=not with_answers)


@router.patch(
    "/items/{item_id}", response_model=ItemPublic, responses=WRITE_ERRORS, summary="Update an item"
)
def update_item(
    item_id: IdPath, data: ItemUpdate, session: SessionDep, _author: Author
) -> ItemPublic:
    item = service.update_item(
        session, item=service.get_item_or_404(session, item_id=item_id), data=data
    )
    return service.items_public(session, [item], with_answers=True)[0]


@router.delete(
    "/items/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE_ERRORS,
    summary="Delete an item",
)
def delete_item(item_id: IdPath, session: SessionDep, _author: Author) -> Response:
    session.delete(service.get_item_or_404(session, item_id=item_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/skills", response_model=SkillsPublic, responses=CACHED, summary="Skill tags with item counts"
)
def list_skills(
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
    q: SearchText = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Response:
    rows, count = repository.list_skills(session, q=q, offset=offset, limit=limit)
    page = SkillsPublic(
        data=[SkillPublic(skill=s, item_count=n) for s, n in rows],
        count=count,
        limit=limit,
        offset=offset,
    )
    return cached_json(request, page, max_age=_max_age(platform))


@router.get(
    "/taxonomy", response_model=TaxonomyPublic, responses=CACHED, summary="Subject taxonomy"
)
def taxonomy(request: Request, session: SessionDep, platform: PlatformDep) -> Response:
    terms = [
        TermPublic(id=t.id, name=t.name, parent_id=t.parent_id, course_count=n)
        for t, n in repository.list_terms(session)
    ]
    return cached_json(request, TaxonomyPublic(data=terms), max_age=_max_age(platform))


@router.get("/attribution", response_model=Attribution, summary="Credits of the shipped content")
def attribution() -> Attribution:
    return Attribution(content_pack=ATTRIBUTION, license="CC BY 4.0")


@router.post(
    "/scorm",
    response_model=ScormImportPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 413),
    summary="Import a SCORM 1.2 or 2004 package (zip with imsmanifest.xml)",
)
async def import_scorm(
    file: Annotated[UploadFile, File(description="The SCORM package (.zip)")],
    platform: PlatformDep,
    store: ObjectStoreDep,
    author: Author,
) -> ScormImportPublic:
    limit = platform.settings.catalog.max_upload_mb << 20
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(
            f"package larger than {platform.settings.catalog.max_upload_mb} MB", field="file"
        )
    try:
        package = scorm.parse_package(data)
    except scorm.ScormError as exc:
        raise ScormPackageError(exc.reason, field=exc.where) from None

    def store_package() -> ScormImportPublic:
        with platform.db.session() as session:
            record, course, items = ingest.import_scorm(
                session, store, package, author=author.subject
            )
            return ScormImportPublic(
                package_id=record.id,
                version=package.version,
                course=CoursePublic.model_validate(course),
                items=service.items_public(session, items, with_answers=True),
                file_count=record.file_count,
            )

    return await run_in_threadpool(store_package)


@router.get(
    "/assets/{key:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **problem_responses(404)},
    summary="A stored asset (SCORM files)",
)
def read_asset(key: AssetKey, store: ObjectStoreDep, platform: PlatformDep) -> Response:
    try:
        data = store.get(key)
    except InvalidKeyError:
        data = None
    if data is None:
        raise NotFoundError(f"asset {key} not found")
    return Response(
        data,
        media_type=guess_type(key),
        headers={
            "Cache-Control": f"public, max-age={platform.settings.catalog.cache_max_age_s}",
            "Content-Security-Policy": "sandbox allow-scripts allow-forms",
        },
    )


@router.post(
    "/providers",
    response_model=ProviderPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409),
    summary="Register a content feed",
)
def create_provider(data: ProviderCreate, session: SessionDep, _author: Author) -> ProviderPublic:
    if repository.get_provider(session, name=data.name) is not None:
        raise ConflictError(f"provider {data.name} exists", field="name")
    try:
        provider_for(data.kind, data.url)
    except ProviderError as exc:
        raise InvalidInputError(str(exc), field="url") from None
    provider = Provider(name=data.name, kind=data.kind, url=data.url)
    session.add(provider)
    session.flush()
    return ProviderPublic.model_validate(provider)


@router.get(
    "/providers",
    response_model=ProvidersPublic,
    responses=problem_responses(401, 403),
    summary="Content feeds",
)
def list_providers(session: SessionDep, _author: Author) -> ProvidersPublic:
    return ProvidersPublic(
        data=[ProviderPublic.model_validate(p) for p in repository.list_providers(session)]
    )


@router.post(
    "/providers/{name}/sync",
    response_model=SyncResult,
    responses=problem_responses(401, 403, 404, 502),
    summary="Import the feed's current entries",
)
def sync_provider(name: IdPath, session: SessionDep, _author: Author) -> SyncResult:
    provider = repository.get_provider(session, name=name)
    if provider is None:
        raise NotFoundError(f"provider {name} not found")
    try:
        return ingest.sync_provider(session, provider, provider_for(provider.kind, provider.url))
    except ProviderError as exc:
        raise UpstreamError(str(exc)) from None
