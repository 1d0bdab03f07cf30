"""Loaded at start-up by the services the bench starts (and only those: the bench puts this folder
on their PYTHONPATH) when BENCH_EXPERIMENTS names proposed SDK changes to measure (bench/experiments.py)."""

import os

if os.environ.get("BENCH_EXPERIMENTS"):
    from bench import experiments

    experiments.apply()
