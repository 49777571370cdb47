# Two commands for people and CI; everything else lives in noxfile.py.
PYTHON ?= python3
VENV := .venv
NOX := $(VENV)/bin/nox

.PHONY: run test reliability bench lint lock staff-token reports redrive clean

$(NOX): requirements/bootstrap.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (python3 --version)")'
	@$(PYTHON) -m venv $(VENV) || { echo "python3-venv is missing: apt-get install python3-venv"; exit 1; }
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/bootstrap.txt
	@touch $(NOX)

## run: start the whole local stack on http://127.0.0.1:8080 (Ctrl-C stops everything)
run: $(NOX)
	@exec $(NOX) -s run

## test: the whole suite, unit + integration + e2e, against emulators the tests start themselves
test: $(NOX)
	@exec $(NOX) -s tests

## staff-token: print a bearer token for the running stack: make staff-token ROLE=verifikator [OPD=dinas-pupr]
# nox's own progress lines go to var/staff-token.log and are shown only if something fails.
staff-token: $(NOX)
	@mkdir -p var
	@$(NOX) -s staff_token -- --role "$(ROLE)" --opd "$(OPD)" --email "$(EMAIL)" 2>var/staff-token.log \
		|| { cat var/staff-token.log >&2; exit 1; }

## reports: the reports CLI on the running stack: make reports ARGS="seed" | ARGS="build [DATE]" | ARGS="build --from D --to D"
reports: $(NOX)
	@$(NOX) -s reports -- $(ARGS)

## redrive: republish dead-lettered events: make redrive ARGS="--dry-run" | ARGS="--project P [--dry-run] [--limit N]"
redrive: $(NOX)
	@$(NOX) -s redrive -- $(ARGS)

## reliability: issue 7 at full size (1,000 submissions, faults, fuzzing, privacy, abuse); figures in RELIABILITY.md
reliability: $(NOX)
	@exec $(NOX) -s reliability

## bench: one benchmark, on demand: make bench B=intake|notify|sms_latency|report|spawn [ARGS="--rounds 6"] (bench/README.md)
bench: $(NOX)
	@exec $(NOX) -s bench -- $(B) $(ARGS)

lint: $(NOX)
	$(NOX) -s lint

lock: $(NOX)
	$(NOX) -s lock

clean:
	rm -rf $(VENV) .nox
