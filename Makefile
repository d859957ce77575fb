# The commands people type. `make run` and `make test` set everything up on a machine that
# has only python3 and make: a private uv in .tools/, the locked dependencies in .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.8
VENV := .venv
UV := .tools/bin/uv
STAMP := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export UV_PYTHON_DOWNLOADS := never
# Some machines set PYTHONDONTWRITEBYTECODE: then every Python process the suite starts (the
# web server and workers of the browser tests and drills, manage.py) compiles every module
# again, about 4 seconds each here. Our commands keep compiled modules (__pycache__ is ignored).
unexport PYTHONDONTWRITEBYTECODE
MANAGE := $(VENV)/bin/python manage.py
PORT ?= 8000
# Subscribers in the newsletter send of `make bench` (10000 when unset; 100000 for the large
# run); the same as BENCH_ARGS="--subscribers 100000".
SUBSCRIBERS ?=
# One part of `make bench` alone: BENCH_ONLY=search (the search page beside an article page)
# or BENCH_ONLY=newsletter.
BENCH_ONLY ?=

.PHONY: run test lint format check bench mutation install browser validators clean backup restore

run: install
	@$(MANAGE) migrate --noinput -v0
	@$(MANAGE) collectstatic --noinput -v0
	@$(MANAGE) seed_demo
	@$(MANAGE) seed_trials
	@$(MANAGE) seed_discussion
	@$(MANAGE) seed_newsletter
	@echo ""
	@echo "  Driverline is starting at http://localhost:$(PORT)/  (admin: http://localhost:$(PORT)/admin/)"
	@echo "  Mail is written to var/mail/ unless EMAIL_URL is set; superusers (manage.py createsuperuser)"
	@echo "  read all but account mail at /admin/outbox/, which exists only while mail goes to files."
	@echo "  Press Ctrl-C to stop web, worker and beat."
	@echo ""
	@$(VENV)/bin/honcho start --no-prefix -f Procfile -p $(PORT) 2>&1 || true

test: install browser validators
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Deployment checks run against production-like settings, never against a local .env.
check: lint
	@DEBUG=false SITE_URL=https://driverline.example ALLOWED_HOSTS=driverline.example \
	 SECRET_KEY="$$($(VENV)/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	 $(MANAGE) check --deploy --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run

bench: install
	$(VENV)/bin/python -m bench $(if $(SUBSCRIBERS),--subscribers $(SUBSCRIBERS)) \
	  $(if $(BENCH_ONLY),--$(BENCH_ONLY)-only) $(BENCH_ARGS)

# Mutation testing of the rules' modules ([tool.mutmut] in pyproject.toml); not part of CI.
mutation: install
	@case "$(MUTATION_ARGS)" in *--survivors*|*--modules*|*--report*) ;; *) rm -rf mutants ;; esac
	$(VENV)/bin/python -m bench.mutation $(MUTATION_ARGS)

# Backups (README, "Backups"): the database and local media into var/backups/<UTC time>/.
# `make restore` asks before it replaces anything; BACKUP=latest, a folder or its name.
BACKUP ?= latest
backup: install
	@$(MANAGE) backup $(BACKUP_ARGS)

restore: install
	@$(MANAGE) restore "$(BACKUP)" $(RESTORE_ARGS)

install: $(STAMP)

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): $(UV)
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@rm -f $(VENV)/.synced-*
	@touch $@

# Browser tests drive Debian's chromium (Playwright's own download cannot work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing chromium for the browser tests…"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The Nu Html Checker for tests/validation: vnu.jar from the npm registry's vnu-jar package (not
# on PyPI), run with the machine's Java.
VNU_VERSION := 26.9.27
VNU_JAR := .tools/vnu-$(VNU_VERSION)/node_modules/vnu-jar/build/dist/vnu.jar
validators: $(VNU_JAR)
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing Java for the HTML checker…"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; }

$(VNU_JAR):
	mkdir -p .tools/vnu-$(VNU_VERSION)
	cd .tools/vnu-$(VNU_VERSION) && npm install --no-audit --no-fund --silent --no-save vnu-jar@$(VNU_VERSION)

clean:
	rm -rf $(VENV) .tools var/static var/cache mutants
