"""DynamoDB progress store: one table, partition key = learner, sort key = record kind.

Items under the learner's partition: ``state`` (KT state JSON + version), ``skill#<skill>``
(mastery) and ``event#<id>`` (dedupe marker with the updates it produced), so erasing a learner
is one query and a batch delete. :meth:`apply` is one ``TransactWriteItems``:
the event marker must not exist and the state version must be the one read.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.progress.store import LearnerSnapshot, SkillMastery, SkillUpdate, StaleStateError

STATE = "state"
SKILL = "skill#"
EVENT = "event#"


def _item_mastery(learner_id: str, item: dict[str, Any]) -> SkillMastery:
    return SkillMastery(
        learner_id=learner_id,
        skill_id=item["sk"]["S"][len(SKILL) :],
        mastery=float(item["mastery"]["N"]),
        attempts=int(item["attempts"]["N"]),
        correct=int(item["correct"]["N"]),
        model=item["model"]["S"],
        updated_at=datetime.fromisoformat(item["updated_at"]["S"]),
    )


def _n(value: float | int) -> dict[str, str]:
    return {"N": str(Decimal(str(value)))}


class DynamoProgressStore:
    """The progress store on DynamoDB (any endpoint speaking its API)."""

    def __init__(self, client: Any, table: str):
        self.client = client
        self.table = table

    def ensure_table(self) -> None:
        """Create the table (on-demand billing) if it does not exist."""
        existing = self.client.list_tables().get("TableNames", [])
        if self.table in existing:
            return
        self.client.create_table(
            TableName=self.table,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        self.client.get_waiter("table_exists").wait(TableName=self.table)

    @staticmethod
    def _event_key(learner_id: str, event_id: str) -> dict[str, Any]:
        return {"pk": {"S": learner_id}, "sk": {"S": f"{EVENT}{event_id}"}}

    def processed(self, learner_id: str, event_id: str) -> list[SkillUpdate] | None:
        answer = self.client.get_item(
            TableName=self.table, Key=self._event_key(learner_id, event_id), ConsistentRead=True
        )
        item = answer.get("Item")
        if item is None:
            return None
        return [SkillUpdate.from_dict(u) for u in json.loads(item["updates"]["S"])]

    def _query(self, learner_id: str, prefix: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": learner_id}},
            "ConsistentRead": True,
        }
        if prefix:
            kwargs["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
            kwargs["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
        while True:
            answer = self.client.query(**kwargs)
            items.extend(answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return items
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def load(self, learner_id: str, skills: list[str]) -> LearnerSnapshot:
        answer = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": learner_id}, "sk": {"S": STATE}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        wanted = set(skills)
        mastery = {
            m.skill_id: m
            for m in (_item_mastery(learner_id, i) for i in self._query(learner_id, SKILL))
            if m.skill_id in wanted
        }
        if item is None:
            return LearnerSnapshot(state=None, version=0, mastery=mastery)
        return LearnerSnapshot(
            state=json.loads(item["state"]["S"]), version=int(item["version"]["N"]), mastery=mastery
        )

    def apply(
        self,
        *,
        event_id: str,
        learner_id: str,
        model: str,
        state: dict[str, Any],
        expected_version: int,
        updates: list[SkillUpdate],
        at: datetime,
    ) -> bool:
        snapshot = self.load(learner_id, [u.skill_id for u in updates])
        stamp = at.isoformat()
        state_put: dict[str, Any] = {
            "TableName": self.table,
            "Item": {
                "pk": {"S": learner_id},
                "sk": {"S": STATE},
                "state": {"S": json.dumps(state)},
                "model": {"S": model},
                "version": _n(expected_version + 1),
                "updated_at": {"S": stamp},
            },
        }
        if expected_version == 0:
            state_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            state_put["ConditionExpression"] = "version = :v"
            state_put["ExpressionAttributeValues"] = {":v": _n(expected_version)}
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **self._event_key(learner_id, event_id),
                        "updates": {"S": json.dumps([u.to_dict() for u in updates])},
                        "processed_at": {"S": stamp},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": state_put},
        ]
        for u in updates:
            before = snapshot.mastery.get(u.skill_id)
            writes.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {
                            "pk": {"S": learner_id},
                            "sk": {"S": f"{SKILL}{u.skill_id}"},
                            "mastery": _n(u.mastery),
                            "attempts": _n((before.attempts if before else 0) + 1),
                            "correct": _n((before.correct if before else 0) + int(u.correct)),
                            "model": {"S": model},
                            "last_event_id": {"S": event_id},
                            "updated_at": {"S": stamp},
                        },
                    }
                }
            )
        try:
            self.client.transact_write_items(TransactItems=writes)
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            raise StaleStateError(learner_id) from None
        return True

    def mastery(self, learner_id: str) -> list[SkillMastery]:
        items = self._query(learner_id, SKILL)
        return sorted((_item_mastery(learner_id, i) for i in items), key=lambda m: m.skill_id)

    def erase_learner(self, learner_id: str) -> int:
        keys = [{"pk": i["pk"], "sk": i["sk"]} for i in self._query(learner_id, "")]
        for start in range(0, len(keys), 25):
            chunk = keys[start : start + 25]
            self.client.batch_write_item(
                RequestItems={self.table: [{"DeleteRequest": {"Key": k}} for k in chunk]}
            )
        return len(keys)

    def ping(self) -> bool:
        self.client.describe_table(TableName=self.table)
        return True
