#!/bin/bash
# Grading one lab as a Slurm job array: task K of N grades shard K/N into a folder on the shared
# file system; a dependent job merges the shards. See docs/grading-at-scale.md.
#
#   JOB=$(sbatch --parsable docs/slurm-array.sh)
#   sbatch --dependency=afterok:$JOB --wrap "labtools grade merge $SCRATCH/lab02 --out gradebook-lab02"
#
# The array must be 0..N-1 (the shards are numbered from 0); N is taken from Slurm.
#SBATCH --job-name=grade-lab02
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
#SBATCH --output=grade-lab02-%A_%a.log
set -euo pipefail

# The shards' shared key: a file only you can read (chmod 600), never the key on a command line.
export LABTOOLS_GRADING_KEY_FILE="${LABTOOLS_GRADING_KEY_FILE:-$HOME/.config/labtools/grading.key}"
N="${SLURM_ARRAY_TASK_COUNT}"
K="${SLURM_ARRAY_TASK_ID}"

# Every task must see the submissions at the same path (the plan names each file).
labtools grade --lab 02 "$HOME/course/lab02-submissions" --roster "$HOME/course/roster.csv" \
    --out "$SCRATCH/lab02" --shard "$K/$N" -j "${SLURM_CPUS_PER_TASK:-1}" --quiet
