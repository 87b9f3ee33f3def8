"""Skill prerequisite graph: one interface, networkx and Neo4j backends, prerequisite mining."""
