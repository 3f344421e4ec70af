//! Integration tests of the grading pipeline.
