"""Product settings: the sizes, thresholds and limits of the articles, comments and newsletter
apps, each from the environment (or .env, which config/settings.py has read) with its default.
Imported by config/settings.py; read them as django.conf.settings.NAME like any other."""

import environ

env = environ.Env()

# Articles.
ARTICLES_PER_PAGE = env.int("ARTICLES_PER_PAGE", default=12)
# Medical review comes due this many months after the last (articles/review_dates.py); the
# admin's list and the editors' weekly mail count as due what falls within the coming days.
ARTICLE_REVIEW_MONTHS = env.int("ARTICLE_REVIEW_MONTHS", default=12)
ARTICLE_REVIEW_DUE_SOON_DAYS = env.int("ARTICLE_REVIEW_DUE_SOON_DAYS", default=30)
SEARCH_MAX_QUERY_LENGTH = 200
READING_WORDS_PER_MINUTE = 220

# Comments: thresholds of the moderation policy and the posting limits.
COMMENTS_MAX_DEPTH = env.int("COMMENTS_MAX_DEPTH", default=3)
COMMENTS_THREADS_PER_PAGE = env.int("COMMENTS_THREADS_PER_PAGE", default=20)
COMMENTS_MIN_LENGTH = 2
COMMENTS_MAX_LENGTH = env.int("COMMENTS_MAX_LENGTH", default=4000)
COMMENTS_TRUSTED_AFTER = env.int("COMMENTS_TRUSTED_AFTER", default=2)  # approved comments
COMMENTS_MAX_LINKS = env.int("COMMENTS_MAX_LINKS", default=2)
COMMENTS_CACHE_SECONDS = env.int("COMMENTS_CACHE_SECONDS", default=600)  # anonymous pages
COMMENTS_EDIT_MINUTES = env.int("COMMENTS_EDIT_MINUTES", default=15)
COMMENTS_UNDO_MINUTES = env.int("COMMENTS_UNDO_MINUTES", default=10)  # a moderator's decision
# The first retry of a deferred moderator's digest; each further one waits twice as long.
COMMENTS_DIGEST_RETRY_SECONDS = env.int("COMMENTS_DIGEST_RETRY_SECONDS", default=60)
COMMENTS_HIDE_AFTER_FLAGS = env.int("COMMENTS_HIDE_AFTER_FLAGS", default=3)  # distinct readers
COMMENTS_BLOCKED_WORDS = env.list(
    "COMMENTS_BLOCKED_WORDS", default=["viagra", "casino", "miracle cure", "crypto"]
)
COMMENTS_ADVICE_PHRASES = env.list("COMMENTS_ADVICE_PHRASES", default=[
    "should i take", "should he take", "should she take", "should my", "what dose", "which dose",
    "can i stop", "should i stop", "what should i do", "is it safe for me", "my oncologist said",
    "should we ask for",
])  # fmt: skip
COMMENTS_RATE_PER_USER = env.str("COMMENTS_RATE_PER_USER", default="5/600")  # posts/seconds
COMMENTS_RATE_PER_IP = env.str("COMMENTS_RATE_PER_IP", default="20/600")

# Newsletter.
NEWSLETTER_CONFIRM_DAYS = env.int("NEWSLETTER_CONFIRM_DAYS", default=3)
NEWSLETTER_MANAGE_DAYS = env.int("NEWSLETTER_MANAGE_DAYS", default=365)
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=100)
NEWSLETTER_PARALLEL_TASKS = env.int("NEWSLETTER_PARALLEL_TASKS", default=2)
NEWSLETTER_TASK_SECONDS = env.int("NEWSLETTER_TASK_SECONDS", default=50)
# Temporary failures (4xx, a dropped connection) are retried as mail servers do: a delay that
# doubles from the base up to the cap, with jitter, for up to NEWSLETTER_RETRY_MAX_HOURS.
NEWSLETTER_RETRY_BASE_SECONDS = env.int("NEWSLETTER_RETRY_BASE_SECONDS", default=60)
NEWSLETTER_RETRY_MAX_SECONDS = env.int("NEWSLETTER_RETRY_MAX_SECONDS", default=3600)
NEWSLETTER_RETRY_MAX_HOURS = env.int("NEWSLETTER_RETRY_MAX_HOURS", default=48)
# A worker's claim on a batch lasts this long unless renewed (it renews every few seconds);
# the sweep (every NEWSLETTER_SWEEP_SECONDS) gives a dead worker's rows to the others.
NEWSLETTER_LEASE_SECONDS = env.int("NEWSLETTER_LEASE_SECONDS", default=30)
# Messages per second across all workers (your mail provider's limit); 0 means no limit.
NEWSLETTER_RATE_PER_SECOND = env.int("NEWSLETTER_RATE_PER_SECOND", default=0)
NEWSLETTER_SIGNUP_RATE_PER_IP = env.str("NEWSLETTER_SIGNUP_RATE_PER_IP", default="10/3600")

# Evidence: trial cards from ClinicalTrials.gov's API (evidence/registry.py), asked politely.
TRIALS_API_URL = env.str("TRIALS_API_URL", default="https://clinicaltrials.gov/api/v2")
TRIALS_API_TIMEOUT = env.float("TRIALS_API_TIMEOUT", default=10.0)  # seconds per request
TRIALS_REFRESH_HOURS = env.int("TRIALS_REFRESH_HOURS", default=24)
TRIALS_REQUEST_PAUSE_SECONDS = env.float("TRIALS_REQUEST_PAUSE_SECONDS", default=1.0)
# After a failed fetch: a wait that doubles from the base up to the cap (or the Retry-After).
TRIALS_RETRY_BASE_SECONDS = env.int("TRIALS_RETRY_BASE_SECONDS", default=600)
TRIALS_RETRY_MAX_SECONDS = env.int("TRIALS_RETRY_MAX_SECONDS", default=86_400)
# Cited papers against Crossref's REST API (a mailto in the User-Agent, as Crossref asks: empty
# means SERVER_EMAIL's address) and cited pages for dead links, every CITATIONS_CHECK_DAYS.
CROSSREF_API_URL = env.str("CROSSREF_API_URL", default="https://api.crossref.org")
CROSSREF_API_TIMEOUT = env.float("CROSSREF_API_TIMEOUT", default=10.0)
CROSSREF_MAILTO = env.str("CROSSREF_MAILTO", default="")
CITATIONS_CHECK_DAYS = env.int("CITATIONS_CHECK_DAYS", default=7)
CITATIONS_REQUEST_PAUSE_SECONDS = env.float("CITATIONS_REQUEST_PAUSE_SECONDS", default=1.0)
LINKCHECK_TIMEOUT = env.float("LINKCHECK_TIMEOUT", default=10.0)
LINKCHECK_ATTEMPTS = env.int("LINKCHECK_ATTEMPTS", default=3)  # a timeout is tried again
LINKCHECK_RETRY_PAUSE_SECONDS = env.float("LINKCHECK_RETRY_PAUSE_SECONDS", default=5.0)
