#!/bin/bash
# Grading one lab as a Slurm job array: task K of N grades shard K/N into a folder on the shared
# file system; a dependent job merges the shards. See docs/grading-at-scale.md.
#
#   export LAB=02 SUBMISSIONS=$HOME/course/lab02-submissions ROSTER=$HOME/course/roster.csv OUT=$SCRATCH/lab02
#   export LABTOOLS_GRADING_KEY_FILE=$HOME/.config/labtools/grading.key
#   JOB=$(sbatch --parsable --array=0-7 docs/slurm-array.sh)
#   sbatch --dependency=afterok:$JOB --wrap 'labtools grade merge "$OUT" --out "$OUT-gradebook"'
#
# The array must be 0..N-1 (the shards are numbered from 0); N is taken from Slurm. The variables
# above are this script's defaults; sbatch hands your environment to the tasks and the merge.
#
# A task that failed or was cancelled: `scontrol requeue ${JOB}_K` grades its shard again, keeping
# the results it had written. Slurm then never starts the merge above (squeue: DependencyNeverSatisfied),
# even once the task has succeeded: `scancel` it and submit the merge again to run after every task:
#   sbatch --dependency=afterany:$JOB --wrap 'labtools grade merge "$OUT" --out "$OUT-gradebook"'
# It refuses, writing nothing, while a shard is missing. A task whose node goes down is requeued by
# Slurm itself (JobRequeue=1, the default).
#SBATCH --job-name=grade-lab02
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=grade-lab02-%A_%a.log
set -euo pipefail

LAB="${LAB:-02}"
# Every task must see the submissions at the same path (the plan names each file).
SUBMISSIONS="${SUBMISSIONS:-$HOME/course/lab$LAB-submissions}"
ROSTER="${ROSTER:-$HOME/course/roster.csv}"
OUT="${OUT:-$SCRATCH/lab$LAB}"
# The shards' shared key: a file only you can read (chmod 600), never the key on a command line.
export LABTOOLS_GRADING_KEY_FILE="${LABTOOLS_GRADING_KEY_FILE:-$HOME/.config/labtools/grading.key}"
N="${SLURM_ARRAY_TASK_COUNT}"
K="${SLURM_ARRAY_TASK_ID}"

labtools grade --lab "$LAB" "$SUBMISSIONS" --roster "$ROSTER" \
    --out "$OUT" --shard "$K/$N" -j "${SLURM_CPUS_PER_TASK:-1}" --quiet
