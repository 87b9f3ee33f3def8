"""Every Cypher statement the Neo4j backend sends. Values are always ``$parameters``.

Model: ``(:Skill {id, name, mastery_threshold})``, ``(:Content {id})``,
``(:Skill)-[:PREREQUISITE_OF {source, weight}]->(:Skill)`` (prerequisite to dependent) and
``(:Content)-[:ASSESSES]->(:Skill)``. Writes use ``MERGE`` so that replaying them is harmless.
"""

SCHEMA = (
    "CREATE CONSTRAINT skill_id IF NOT EXISTS FOR (s:Skill) REQUIRE s.id IS UNIQUE",
    "CREATE CONSTRAINT content_id IF NOT EXISTS FOR (c:Content) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT graph_lock_id IF NOT EXISTS FOR (l:GraphLock) REQUIRE l.id IS UNIQUE",
)

# Taken first by every prerequisite write: writing a property of the one lock node holds its
# write lock until commit, so concurrent edge additions run their cycle check and merge one
# after the other (two transactions adding a -> b and b -> a cannot both pass the check).
LOCK_PREREQUISITES = """
MERGE (l:GraphLock {id: 'prerequisites'})
SET l.writes = coalesce(l.writes, 0) + 1
"""

MERGE_SKILLS = """
UNWIND $rows AS row
MERGE (s:Skill {id: row.id})
SET s += row.props
"""

# Path dependent ->* prerequisite: adding prerequisite -> dependent would close it into a cycle.
FIND_PATH = """
MATCH (d:Skill {id: $dependent}), (p:Skill {id: $prerequisite})
MATCH path = shortestPath((d)-[:PREREQUISITE_OF*1..]->(p))
RETURN [n IN nodes(path) | n.id] AS path
"""

MERGE_PREREQUISITE = """
MERGE (p:Skill {id: $prerequisite})
MERGE (d:Skill {id: $dependent})
MERGE (p)-[r:PREREQUISITE_OF]->(d)
SET r.source = $source, r.weight = $weight
"""

DELETE_PREREQUISITE = """
MATCH (:Skill {id: $prerequisite})-[r:PREREQUISITE_OF]->(:Skill {id: $dependent})
DELETE r
"""

MERGE_CONTENT_TAGS = """
MERGE (c:Content {id: $content})
WITH c
UNWIND $skills AS skill
MERGE (s:Skill {id: skill})
MERGE (c)-[:ASSESSES]->(s)
"""

CLEAR = """
MATCH (n) WHERE n:Skill OR n:Content
DETACH DELETE n
"""

ALL_SKILLS = "MATCH (s:Skill) RETURN s.id AS id ORDER BY id"

SKILL = "MATCH (s:Skill {id: $id}) RETURN s.name AS name, s.mastery_threshold AS mastery_threshold"

ALL_PREREQUISITES = """
MATCH (p:Skill)-[r:PREREQUISITE_OF]->(d:Skill)
RETURN p.id AS prerequisite, d.id AS dependent, r.source AS source, r.weight AS weight
ORDER BY prerequisite, dependent
"""

PREREQUISITES = """
MATCH (p:Skill)-[:PREREQUISITE_OF]->(:Skill {id: $id})
RETURN p.id AS id ORDER BY id
"""

DEPENDENTS = """
MATCH (:Skill {id: $id})-[:PREREQUISITE_OF]->(d:Skill)
RETURN d.id AS id ORDER BY id
"""

# DISTINCT end nodes let the planner use a pruning (breadth-first) variable-length expand.
ANCESTORS = """
MATCH (a:Skill)-[:PREREQUISITE_OF*1..]->(:Skill {id: $id})
RETURN DISTINCT a.id AS id ORDER BY id
"""

# Goals and all their ancestors, each with its direct prerequisites (which are ancestors too).
ANCESTOR_SUBGRAPH = """
MATCH (g:Skill) WHERE g.id IN $goals
MATCH (a:Skill)-[:PREREQUISITE_OF*0..]->(g)
WITH DISTINCT a
OPTIONAL MATCH (p:Skill)-[:PREREQUISITE_OF]->(a)
RETURN a.id AS id, a.mastery_threshold AS mastery_threshold, collect(p.id) AS prerequisites
ORDER BY id
"""

MISSING_SKILLS = """
UNWIND $ids AS id
OPTIONAL MATCH (s:Skill {id: id})
WITH id, s WHERE s IS NULL
RETURN collect(id) AS missing
"""

FRONTIER = """
MATCH (s:Skill)
WITH s, coalesce($threshold, s.mastery_threshold, $default_threshold) AS needed
WHERE coalesce($mastery[s.id], 0.0) < needed
  AND all(p IN [(q:Skill)-[:PREREQUISITE_OF]->(s) | q]
          WHERE coalesce($mastery[p.id], 0.0)
                >= coalesce($threshold, p.mastery_threshold, $default_threshold))
RETURN s.id AS id ORDER BY id
"""

CONTENT_FOR = """
MATCH (c:Content)-[:ASSESSES]->(:Skill {id: $id})
RETURN c.id AS id ORDER BY id
"""

SKILLS_FOR = """
MATCH (:Content {id: $id})-[:ASSESSES]->(s:Skill)
RETURN s.id AS id ORDER BY id
"""

ALL_SKILL_NODES = """
MATCH (s:Skill)
RETURN s.id AS id, s.name AS name, s.mastery_threshold AS mastery_threshold
ORDER BY id
"""

COUNT_SKILLS = "MATCH (s:Skill) RETURN count(s) AS n"

COUNT_CONTENT = "MATCH (c:Content) RETURN count(c) AS n"

COUNT_ROOTS = "MATCH (s:Skill) WHERE NOT ()-[:PREREQUISITE_OF]->(s) RETURN count(s) AS n"

COUNT_BY_SOURCE = """
MATCH ()-[r:PREREQUISITE_OF]->()
RETURN coalesce(r.source, 'manual') AS source, count(*) AS n
ORDER BY source
"""
