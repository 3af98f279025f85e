# The two set-up commands of the README. Each sets up only what is missing, then does its job.
.PHONY: demo test setup-demo setup-test

demo: setup-demo
	.venv/bin/qflow run node_library/workflows/demo.yaml

test: setup-test
	.venv/bin/pytest -q

setup-demo:
	bash scripts/setup.sh demo

setup-test:
	bash scripts/setup.sh test
