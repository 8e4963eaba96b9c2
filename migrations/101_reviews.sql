-- Reviews and ratings (issue 17, app/reviews). Idempotent: every statement
-- can run again.
--
-- The demo import's reviews (app/seller/import.c) keep user_id NULL and are
-- published; a shopper's review has user_id, one per (product, user): a
-- second one edits the first. status: published (shown, counted in the
-- product's rating), pending (held by the automatic checks, in the admin
-- queue with its reasons: ugc_reasons codes), rejected (never shown; its
-- author sees reject_reason). verified: the author had a line of the
-- product shipped or delivered when writing (ugc_bought). fingerprint:
-- ugc_fingerprint of title and body, for the duplicate check. helpful: the
-- count of review_votes. reply_*: the seller's one public reply.
ALTER TABLE reviews
	ADD COLUMN IF NOT EXISTS user_id BIGINT UNSIGNED NULL AFTER product_id,
	ADD COLUMN IF NOT EXISTS title VARCHAR(120) NOT NULL DEFAULT '' AFTER rating,
	ADD COLUMN IF NOT EXISTS status ENUM('published','pending','rejected') NOT NULL DEFAULT 'published',
	ADD COLUMN IF NOT EXISTS verified TINYINT(1) NOT NULL DEFAULT 0,
	ADD COLUMN IF NOT EXISTS helpful INT UNSIGNED NOT NULL DEFAULT 0,
	ADD COLUMN IF NOT EXISTS reasons VARCHAR(100) NOT NULL DEFAULT '',
	ADD COLUMN IF NOT EXISTS reject_reason VARCHAR(500) NULL,
	ADD COLUMN IF NOT EXISTS fingerprint CHAR(64) NULL,
	ADD COLUMN IF NOT EXISTS updated_at DATETIME(3) NULL,
	ADD COLUMN IF NOT EXISTS reply_body TEXT NULL,
	ADD COLUMN IF NOT EXISTS reply_at DATETIME(3) NULL;

CREATE UNIQUE INDEX IF NOT EXISTS uq_reviews_author ON reviews (product_id, user_id);
CREATE INDEX IF NOT EXISTS ix_reviews_user ON reviews (user_id, created_at);
CREATE INDEX IF NOT EXISTS ix_reviews_status ON reviews (status, created_at);
CREATE INDEX IF NOT EXISTS ix_reviews_fingerprint ON reviews (fingerprint);
CREATE INDEX IF NOT EXISTS ix_reviews_shown ON reviews (product_id, status, helpful);

-- Helpful votes: one per shopper and review (never on one's own).
CREATE TABLE IF NOT EXISTS review_votes (
	review_id BIGINT UNSIGNED NOT NULL,
	user_id BIGINT UNSIGNED NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (review_id, user_id),
	KEY ix_review_votes_user (user_id),
	CONSTRAINT fk_review_votes_review FOREIGN KEY (review_id) REFERENCES reviews (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The reviews' settings an admin changes (/admin/reviews, the admin API):
-- accept_non_buyers = 1 takes reviews from shoppers who did not buy the
-- product (without the Verified purchase badge). One row per name.
CREATE TABLE IF NOT EXISTS review_settings (
	name VARCHAR(64) NOT NULL PRIMARY KEY,
	value VARCHAR(255) NOT NULL,
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT IGNORE INTO review_settings (name, value) VALUES ('accept_non_buyers', '0');
