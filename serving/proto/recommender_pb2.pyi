from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecommendRequest(_message.Message):
    __slots__ = ("learner_id", "k", "course_id", "content_types", "skills", "history", "include_seen", "platform")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SEEN_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    k: int
    course_id: str
    content_types: _containers.RepeatedScalarFieldContainer[str]
    skills: _containers.RepeatedScalarFieldContainer[str]
    history: _containers.RepeatedScalarFieldContainer[str]
    include_seen: bool
    platform: str
    def __init__(self, learner_id: _Optional[str] = ..., k: _Optional[int] = ..., course_id: _Optional[str] = ..., content_types: _Optional[_Iterable[str]] = ..., skills: _Optional[_Iterable[str]] = ..., history: _Optional[_Iterable[str]] = ..., include_seen: _Optional[bool] = ..., platform: _Optional[str] = ...) -> None: ...

class RecommendedItem(_message.Message):
    __slots__ = ("item_id", "score", "p_correct", "skills", "reasons_json")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    P_CORRECT_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    REASONS_JSON_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    score: float
    p_correct: float
    skills: _containers.RepeatedScalarFieldContainer[str]
    reasons_json: str
    def __init__(self, item_id: _Optional[str] = ..., score: _Optional[float] = ..., p_correct: _Optional[float] = ..., skills: _Optional[_Iterable[str]] = ..., reasons_json: _Optional[str] = ...) -> None: ...

class ModelRef(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...

class Served(_message.Message):
    __slots__ = ("kt", "rec", "arm", "experiments", "propensity", "degraded", "cold_start")
    class ExperimentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KT_FIELD_NUMBER: _ClassVar[int]
    REC_FIELD_NUMBER: _ClassVar[int]
    ARM_FIELD_NUMBER: _ClassVar[int]
    EXPERIMENTS_FIELD_NUMBER: _ClassVar[int]
    PROPENSITY_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    COLD_START_FIELD_NUMBER: _ClassVar[int]
    kt: ModelRef
    rec: ModelRef
    arm: str
    experiments: _containers.ScalarMap[str, str]
    propensity: float
    degraded: _containers.RepeatedScalarFieldContainer[str]
    cold_start: bool
    def __init__(self, kt: _Optional[_Union[ModelRef, _Mapping]] = ..., rec: _Optional[_Union[ModelRef, _Mapping]] = ..., arm: _Optional[str] = ..., experiments: _Optional[_Mapping[str, str]] = ..., propensity: _Optional[float] = ..., degraded: _Optional[_Iterable[str]] = ..., cold_start: _Optional[bool] = ...) -> None: ...

class RecommendReply(_message.Message):
    __slots__ = ("items", "served")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    SERVED_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RecommendedItem]
    served: Served
    def __init__(self, items: _Optional[_Iterable[_Union[RecommendedItem, _Mapping]]] = ..., served: _Optional[_Union[Served, _Mapping]] = ...) -> None: ...

class ScoreRequest(_message.Message):
    __slots__ = ("learner_id", "skills", "items")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    skills: _containers.RepeatedScalarFieldContainer[str]
    items: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, learner_id: _Optional[str] = ..., skills: _Optional[_Iterable[str]] = ..., items: _Optional[_Iterable[str]] = ...) -> None: ...

class SkillMastery(_message.Message):
    __slots__ = ("skill_id", "mastery", "observed")
    SKILL_ID_FIELD_NUMBER: _ClassVar[int]
    MASTERY_FIELD_NUMBER: _ClassVar[int]
    OBSERVED_FIELD_NUMBER: _ClassVar[int]
    skill_id: str
    mastery: float
    observed: bool
    def __init__(self, skill_id: _Optional[str] = ..., mastery: _Optional[float] = ..., observed: _Optional[bool] = ...) -> None: ...

class ItemScore(_message.Message):
    __slots__ = ("item_id", "p_correct")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    P_CORRECT_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    p_correct: float
    def __init__(self, item_id: _Optional[str] = ..., p_correct: _Optional[float] = ...) -> None: ...

class ScoreReply(_message.Message):
    __slots__ = ("skills", "items", "served")
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    SERVED_FIELD_NUMBER: _ClassVar[int]
    skills: _containers.RepeatedCompositeFieldContainer[SkillMastery]
    items: _containers.RepeatedCompositeFieldContainer[ItemScore]
    served: Served
    def __init__(self, skills: _Optional[_Iterable[_Union[SkillMastery, _Mapping]]] = ..., items: _Optional[_Iterable[_Union[ItemScore, _Mapping]]] = ..., served: _Optional[_Union[Served, _Mapping]] = ...) -> None: ...
