"""Content catalog service (CCS): courses, items, skills, taxonomy, SCORM, LTI 1.3, providers."""
