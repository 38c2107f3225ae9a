"""The tables of the operational database, in SQLAlchemy Core (one schema, both dialects).

The migrations in ``catalog/db/migrations`` create exactly these tables (a test compares
them); change both together, through a new revision. Timestamps of the accounts tables are
ISO 8601 text in UTC, as they were in the old ``accounts.sqlite3``.

- ``users``, ``tokens``, ``grants``: accounts, API tokens (SHA-256 of the secret only) and
  per-dataset grants (:mod:`catalog.accounts`).
- ``audit``: the append-only audit log; triggers created by the migration refuse UPDATE and
  DELETE (and TRUNCATE on PostgreSQL).
- ``change_feed``: one row per published change of a dataset, in commit order of ``seq``.
- ``jobs_queue``: background jobs for the worker (leased, retried, delayed).
- ``web_sessions``: the web pages' sign-in sessions (SHA-256 of the id only, user, CSRF
  token, expiry; :mod:`api.web.session_store`).
- ``access_requests``, ``access_request_comments``: the access-request workflow and each
  request's comments in ``seq`` order (:mod:`catalog.access_requests`).
- ``operator_documents``: an operator's JSON documents (licence mappings, added data
  spaces), each with a ``version`` that every write compares and sets
  (:mod:`catalog.db.documents`).
- ``harvest_sources``, ``harvest_jobs``, ``harvest_validation``: the registered harvest
  sources, one row per harvest run (the job as JSON) and the durable queue of SHACL
  validations of harvested records (:mod:`catalog.harvest`).
- ``dsp_negotiations``, ``dsp_transfers``, ``dsp_outbox``: the Dataspace Protocol's contract
  negotiations and transfer processes, and the messages owed to consumers (:mod:`catalog.dsp`).
- ``passwords``, ``oidc_identities``, ``oidc_logins``: users' argon2id password hashes, the
  single sign-on identities linked to users, and pending OpenID Connect sign-ins.
- ``baskets``, ``basket_requests``: AI developers' training baskets (datasets, profile,
  model, the fingerprint of the answer last looked at) and the access requests filed from
  each basket (:mod:`catalog.baskets`).
- ``synthetic_previews``: the stewards' switch of each dataset's synthetic preview and its k
  (:mod:`catalog.samples.synthetic_switches`).
"""

from __future__ import annotations

import sqlalchemy as sa

#: Constraint names that are stable across dialects (needed to alter them later).
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

#: A 64-bit identity on PostgreSQL, SQLite's rowid (AUTOINCREMENT: never reused) on SQLite.
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: The message both dialects' triggers give when the audit log is changed.
AUDIT_APPEND_ONLY = "the audit log is append-only"

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("organisation", sa.Text),
    sa.Column("factory", sa.Text),
    sa.Column("created", sa.Text, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user", sa.Text, sa.ForeignKey("users.name"), nullable=False, index=True),
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("expires", sa.Text, nullable=False),
    sa.Column("revoked", sa.Text),
)

grants = sa.Table(
    "grants",
    metadata,
    sa.Column("user", sa.Text, sa.ForeignKey("users.name"), primary_key=True),
    sa.Column("dataset_id", sa.Text, primary_key=True),
    sa.Column("granted", sa.Text, nullable=False),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("seq", Seq, sa.Identity(), primary_key=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("dataset_id", sa.Text, index=True),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("detail", sa.Text),
    sqlite_autoincrement=True,
)

change_feed = sa.Table(
    "change_feed",
    metadata,
    sa.Column("seq", Seq, sa.Identity(), primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("dataset_id", sa.Text, nullable=False, index=True),
    sa.Column("version", sa.Text),  # the version graph IRI after the publish (catalog/db/feed.py)
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('upsert', 'delete')", name="kind"),
    sqlite_autoincrement=True,
)

jobs_queue = sa.Table(
    "jobs_queue",
    metadata,
    sa.Column("id", Seq, sa.Identity(), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # JSON text
    # queued, running, done, failed: the worker's states, not constrained here yet
    sa.Column("state", sa.Text, nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default=sa.text("3")),
    sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lease_owner", sa.Text),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished", sa.DateTime(timezone=True)),
    sa.Column("error", sa.Text),
    sa.Index("ix_jobs_queue_state_run_after", "state", "run_after"),
    sqlite_autoincrement=True,
)

# -- sessions_requests --

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("digest", sa.Text, primary_key=True),  # SHA-256 of the session id
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("csrf", sa.Text, nullable=False),
    sa.Column("expires", sa.Text, nullable=False, index=True),
)

access_requests = sa.Table(
    "access_requests",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("requester", sa.Text, nullable=False, index=True),
    sa.Column("dataset_id", sa.Text, nullable=False),
    sa.Column("lab", sa.Text, nullable=False),
    sa.Column("factory", sa.Text, nullable=False, index=True),
    sa.Column("org_type", sa.Text, nullable=False),
    sa.Column("country", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("procedure", sa.Text, nullable=False),  # JSON list of the lab's steps
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("updated", sa.Text, nullable=False),
)

access_request_comments = sa.Table(
    "access_request_comments",
    metadata,
    sa.Column("seq", Seq, sa.Identity(), primary_key=True),
    sa.Column("request", sa.Text, sa.ForeignKey("access_requests.id"), nullable=False, index=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sqlite_autoincrement=True,
)

operator_documents = sa.Table(
    "operator_documents",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),  # JSON text
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated", sa.Text, nullable=False),
)

# -- harvest_state --

harvest_sources = sa.Table(
    "harvest_sources",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("incremental", sa.Boolean, nullable=False),
    sa.Column("options", sa.Text, nullable=False),  # JSON object
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("cursor", sa.Text),  # ISO 8601: the newest ``modified`` a run saw
    sa.Column("owner", sa.Text, index=True),
)

harvest_jobs = sa.Table(
    "harvest_jobs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),  # starts with its start time: sorts by it
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # JSON of catalog.harvest.jobs.Job
    sa.Index("ix_harvest_jobs_source_id", "source", "id"),
    sa.Index("ix_harvest_jobs_status", "status"),
)

harvest_validation = sa.Table(
    "harvest_validation",
    metadata,
    sa.Column("job", sa.Text, primary_key=True),
    sa.Column("record", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    # waiting, done, skipped, unfinished (catalog.harvest.queue)
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("findings", sa.Text),  # JSON list of violations
    sa.Column("note", sa.Text),
    sa.Column("claimed_by", sa.Text),  # host:pid:thread
    sa.Column("claimed_at", sa.Double),  # seconds since the epoch
    sa.Column("queued_at", sa.Double, nullable=False),
    sa.Index("ix_harvest_validation_state_job", "state", "job"),
)

# -- change feed --

#: Each dataset's rows per source, newest last (revision 0002_change_feed): the feed's live
#: datasets of a source (:mod:`catalog.db.feed`).
change_feed_by_source = sa.Index(
    "ix_change_feed_source_dataset_id_seq",
    change_feed.c.source,
    change_feed.c.dataset_id,
    change_feed.c.seq,
)

# -- job queue -------------------------------------------------------------------------------
# Added by revision 0002_job_queue (catalog/jobs/): two columns of ``jobs_queue``, the index
# that keeps one active job per dedupe key, and the per-source harvest schedules.

#: A job is active (it holds its dedupe key) while queued or running.
ACTIVE_JOB = sa.text("state IN ('queued', 'running')")

jobs_queue.append_column(sa.Column("dedupe_key", sa.Text))  # e.g. harvest:<source>
jobs_queue.append_column(sa.Column("result", sa.Text))  # JSON text: what the job produced
sa.Index(
    "uq_jobs_queue_dedupe_key_active",
    jobs_queue.c.dedupe_key,
    unique=True,
    sqlite_where=ACTIVE_JOB,
    postgresql_where=ACTIVE_JOB,
)

source_schedules = sa.Table(
    "source_schedules",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("every_s", sa.Integer, nullable=False),
    sa.Column("next_run", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.CheckConstraint("every_s >= 300", name="every_s"),
)

# -- offers ----------------------------------------------------------------------------------
# Added by revision 0003_offers: the stored offers every replica reads (catalog/offers/
# stored.py), written by the offers follower (catalog/offers/follower.py) from the change
# feed. A dataset's offers are its terms' signature joined with that signature's resolution
# for each lab: datasets of equal terms share their resolutions, so a lab edit rewrites one
# row per distinct signature, not one per dataset.

# Revision 0004_offers_json: the values are JSON text (catalog/offers/codec.py), no longer
# pickled bytes, and offer_state counts the writes (``generation``, what replicas compare).

#: Each dataset's facts that offers read (DatasetFacts as JSON) and their signature's key.
offer_terms = sa.Table(
    "offer_terms",
    metadata,
    sa.Column("dataset_id", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("iri", sa.Text, nullable=False),
    sa.Column("signature", sa.Text, nullable=False, index=True),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("position", Seq, nullable=False),  # the feed position the row reflects
)

#: The profile-free resolution of one terms signature for one lab (an Offer as JSON).
offer_resolutions = sa.Table(
    "offer_resolutions",
    metadata,
    sa.Column("signature", sa.Text, primary_key=True),
    sa.Column("lab_id", sa.Text, primary_key=True),
    sa.Column("verdict", sa.Text, nullable=False),
    sa.Column("offerable", sa.Boolean, nullable=False),
    sa.Column("ai_training", sa.Boolean, nullable=False),
    sa.Column("offer", sa.Text, nullable=False),
    sa.Column("position", Seq, nullable=False),
    sa.Index("ix_offer_resolutions_lab_id_offerable", "lab_id", "offerable"),
)

#: The labs as the stored resolutions saw them (a DataLab as JSON).
offer_labs = sa.Table(
    "offer_labs",
    metadata,
    sa.Column("lab_id", sa.Text, primary_key=True),
    sa.Column("lab", sa.Text, nullable=False),
    sa.Column("position", Seq, nullable=False),
)

#: The follower's position in the change feed, the licence mappings and the source graphs
#: the stored offers reflect (one row, ``name`` = "offers").
offer_state = sa.Table(
    "offer_state",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("position", Seq, nullable=False),
    sa.Column("licences", sa.Text, nullable=False),  # JSON: the operator's licence mappings
    sa.Column("sources", sa.Text, nullable=False),  # JSON: {source: current graph IRI}
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    sa.Column("generation", Seq, nullable=False),  # one more on every write
)

# -- dataspace protocol --
# Added by revision 0005_dsp: the provider side of the Dataspace Protocol 2025-1 contract
# negotiation and transfer process (catalog/dsp/). A negotiation is tied to the access
# request it created (its state follows the staff's decision); a transfer to the negotiation
# whose agreement it uses. ``dsp_outbox`` holds the messages owed to consumers' callbacks,
# delivered in ``seq`` order per process by the courier (catalog/dsp/courier.py).

dsp_negotiations = sa.Table(
    "dsp_negotiations",
    metadata,
    sa.Column("provider_pid", sa.Text, primary_key=True),  # urn:uuid:…, minted here
    sa.Column("consumer_pid", sa.Text, nullable=False),
    sa.Column("consumer", sa.Text, nullable=False),  # the account negotiating (its token)
    sa.Column("callback", sa.Text, nullable=False),  # the consumer's callbackAddress
    sa.Column("offer", sa.Text, nullable=False),  # the catalogue offer's @id
    sa.Column("dataset_id", sa.Text, nullable=False),
    sa.Column("lab", sa.Text, nullable=False),
    sa.Column("request", sa.Text, sa.ForeignKey("access_requests.id"), nullable=False, index=True),
    sa.Column("state", sa.Text, nullable=False, index=True),
    sa.Column("agreement_id", sa.Text, unique=True),
    sa.Column("agreement", sa.Text),  # JSON: the ODRL Agreement sent
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("updated", sa.Text, nullable=False),
    sa.UniqueConstraint("consumer", "consumer_pid"),
)

dsp_transfers = sa.Table(
    "dsp_transfers",
    metadata,
    sa.Column("provider_pid", sa.Text, primary_key=True),
    sa.Column("consumer_pid", sa.Text, nullable=False),
    sa.Column("consumer", sa.Text, nullable=False),
    sa.Column(
        "negotiation",
        sa.Text,
        sa.ForeignKey("dsp_negotiations.provider_pid"),
        nullable=False,
        index=True,
    ),
    sa.Column("callback", sa.Text, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    # the data address's bearer token: its public id and the SHA-256 of its secret only
    sa.Column("token_id", sa.Text, unique=True),
    sa.Column("token_digest", sa.Text),
    sa.Column("token_expires", sa.Text),
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("updated", sa.Text, nullable=False),
    sa.UniqueConstraint("consumer", "consumer_pid"),
)

dsp_outbox = sa.Table(
    "dsp_outbox",
    metadata,
    sa.Column("seq", Seq, sa.Identity(), primary_key=True),
    sa.Column("process", sa.Text, nullable=False, index=True),  # a provider pid
    sa.Column("kind", sa.Text, nullable=False),  # negotiation | transfer
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),  # JSON (a start's token is added when sent)
    sa.Column("on_ack", sa.Text),  # the state the process takes when the consumer ACKs
    sa.Column("state", sa.Text, nullable=False),  # pending | sent | failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_try", sa.Double, nullable=False),  # seconds since the epoch
    sa.Column("claimed_until", sa.Double),
    sa.Column("error", sa.Text),
    sa.Index("ix_dsp_outbox_state_next_try", "state", "next_try"),
    sqlite_autoincrement=True,
)

# -- accounts: passwords and single sign-on (revision 0006_passwords) ---------------------

passwords = sa.Table(
    "passwords",
    metadata,
    sa.Column("user", sa.Text, sa.ForeignKey("users.name"), primary_key=True),
    sa.Column("hash", sa.Text, nullable=False),  # argon2id, in its PHC string form
    sa.Column("changed", sa.Text, nullable=False),
)

oidc_identities = sa.Table(
    "oidc_identities",
    metadata,
    sa.Column("issuer", sa.Text, primary_key=True),
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("user", sa.Text, sa.ForeignKey("users.name"), nullable=False, index=True),
    sa.Column("created", sa.Text, nullable=False),
)

oidc_logins = sa.Table(
    "oidc_logins",
    metadata,
    sa.Column("state", sa.Text, primary_key=True),  # SHA-256 of the state sent to the provider
    sa.Column("browser", sa.Text, nullable=False),  # SHA-256 of the browser's binding cookie
    sa.Column("nonce", sa.Text, nullable=False),
    sa.Column("verifier", sa.Text, nullable=False),  # the PKCE code verifier
    sa.Column("next", sa.Text, nullable=False),  # the page to return to
    sa.Column("expires", sa.Text, nullable=False, index=True),
)

baskets = sa.Table(
    "baskets",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),  # unguessable: the capability of anonymous ones
    sa.Column("owner", sa.Text, index=True),  # the signed-in user; NULL: anonymous
    sa.Column("holder", sa.Text, index=True),  # SHA-256 of an anonymous browser's basket key
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("datasets", sa.Text, nullable=False),  # JSON list of dataset ids, in order
    sa.Column("profile", sa.Text, nullable=False),  # JSON {org_type, country, purpose}
    sa.Column("model", sa.Text, nullable=False),  # JSON {name, version, modalities, ...}
    sa.Column("seen", sa.Text),  # JSON: the answer's snapshot the owner last looked at
    sa.Column("version", sa.Integer, nullable=False),  # compared and set by every write
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("updated", sa.Text, nullable=False),
)

basket_requests = sa.Table(
    "basket_requests",
    metadata,
    sa.Column("basket", sa.Text, sa.ForeignKey("baskets.id"), primary_key=True),
    sa.Column("request", sa.Text, sa.ForeignKey("access_requests.id"), primary_key=True),
    sa.Column("dataset_id", sa.Text, nullable=False),
    sa.Column("lab", sa.Text, nullable=False),
)

synthetic_previews = sa.Table(
    "synthetic_previews",
    metadata,
    sa.Column("dataset_id", sa.Text, primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("min_count", sa.Integer, nullable=False),  # k of the preview
    sa.Column("changed_by", sa.Text),  # the account that last switched it (None: the CLI)
    sa.Column("changed", sa.Text, nullable=False),
)

#: A source's newest row (revision 0009_feed_source_seq): ``ChangeFeed.last_of``.
change_feed_source_seq = sa.Index(
    "ix_change_feed_source_seq", change_feed.c.source, change_feed.c.seq
)

# -- facts -----------------------------------------------------------------------------------
# Added by revision 0010_dataset_facts: each dataset's facts as derived from one version of
# its source graph, written by a bulk read that derives them anyway (the search projection)
# so that a full offers build copies them instead of reading the RDF store again
# (catalog/facts/table.py). Rows count only under their source's marker, and the marker
# only while the store still holds the token it was written under.

#: A dataset's facts (DatasetFacts as JSON, as ``offer_terms.facts``) under a read's token.
dataset_facts = sa.Table(
    "dataset_facts",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("token", sa.Text, primary_key=True),  # the read that derived the row
    sa.Column("dataset_id", sa.Text, primary_key=True),
    sa.Column("iri", sa.Text, nullable=False),
    sa.Column("signature", sa.Text, nullable=False),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Index("ix_dataset_facts_dataset_id", "dataset_id", "source", "token"),
)

#: One complete read of a source's facts: which graph version, which derivation (``stamp``:
#: the derivation's code and the data spaces), how many rows, under which token.
facts_sources = sa.Table(
    "facts_sources",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("graph", sa.Text, nullable=False),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("stamp", sa.Text, nullable=False),
    sa.Column("datasets", sa.Integer, nullable=False),
    sa.Column("written", sa.DateTime(timezone=True), nullable=False),
)
