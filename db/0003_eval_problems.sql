-- Per-problem evaluation outcomes: the rows each evaluation figure in evals is the mean of (Core's ProblemFigures),
-- kept so result tables can bootstrap over problems. One row per (trial, step, benchmark, problem); a replayed
-- evaluation keeps the first row (ON CONFLICT DO NOTHING), as evals and metrics do.
-- diversity_samples = 0: the diversity-temperature rollouts were not generated (their columns are then 0 / NULL).
CREATE TABLE eval_problems (
    trial_id                       text             NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
    step                           integer          NOT NULL,
    benchmark                      text             NOT NULL,
    problem_id                     text             NOT NULL,
    pass1_correct                  boolean          NOT NULL,
    avg_samples                    integer          NOT NULL CHECK (avg_samples >= 1),
    avg_correct                    integer          NOT NULL CHECK (avg_correct BETWEEN 0 AND avg_samples),
    passk_samples                  integer          NOT NULL CHECK (passk_samples >= 1),
    passk_correct                  integer          NOT NULL CHECK (passk_correct BETWEEN 0 AND passk_samples),
    distinct_correct               integer          NOT NULL CHECK (distinct_correct BETWEEN 0 AND passk_correct),
    existing_solutions             integer          NULL CHECK (existing_solutions >= 0),
    semantic_similarity            double precision NULL,
    formula_similarity             double precision NULL,
    diversity_samples              integer          NOT NULL DEFAULT 0 CHECK (diversity_samples >= 0),
    diversity_correct              integer          NOT NULL DEFAULT 0 CHECK (diversity_correct BETWEEN 0 AND diversity_samples),
    diversity_distinct             integer          NOT NULL DEFAULT 0 CHECK (diversity_distinct BETWEEN 0 AND diversity_correct),
    diversity_semantic_similarity  double precision NULL,
    diversity_formula_similarity   double precision NULL,
    PRIMARY KEY (trial_id, step, benchmark, problem_id)
);
