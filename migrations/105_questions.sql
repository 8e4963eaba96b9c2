-- Product questions and answers (issue 17, app/questions). Idempotent:
-- every statement can run again.
--
-- A question on a product by a signed-in shopper. status: published (shown
-- to everyone), pending (held by the automatic checks, waiting in
-- /admin/questions), rejected (by a moderator, with reject_reason shown to
-- its author only). reasons: why it was held, ugc_reasons' codes
-- ("link,contact", "" when none). fingerprint: ugc_fingerprint of the
-- body, for the duplicate check.
CREATE TABLE IF NOT EXISTS questions (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	product_id BIGINT UNSIGNED NOT NULL,
	user_id BIGINT UNSIGNED NOT NULL,
	body TEXT NOT NULL,
	status ENUM('published','pending','rejected') NOT NULL,
	reasons VARCHAR(100) NOT NULL DEFAULT '',
	reject_reason VARCHAR(500) NULL,
	fingerprint CHAR(64) NOT NULL,
	moderated_by BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	published_at DATETIME(3) NULL,
	KEY ix_questions_product (product_id, status, id),
	KEY ix_questions_user (user_id, created_at),
	KEY ix_questions_product_time (product_id, created_at),
	KEY ix_questions_status (status, id),
	KEY ix_questions_fingerprint (fingerprint),
	CONSTRAINT fk_questions_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
	CONSTRAINT fk_questions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An answer to a question: by the product's seller (author_kind 'seller')
-- or by a shopper who bought the product ('buyer', ugc_bought). product_id
-- is the question's, kept here for the product's rate check. helpful: the
-- count of answer_votes, kept in the vote's transaction.
CREATE TABLE IF NOT EXISTS answers (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	question_id BIGINT UNSIGNED NOT NULL,
	product_id BIGINT UNSIGNED NOT NULL,
	user_id BIGINT UNSIGNED NOT NULL,
	body TEXT NOT NULL,
	author_kind ENUM('seller','buyer') NOT NULL,
	status ENUM('published','pending','rejected') NOT NULL,
	reasons VARCHAR(100) NOT NULL DEFAULT '',
	reject_reason VARCHAR(500) NULL,
	helpful INT UNSIGNED NOT NULL DEFAULT 0,
	fingerprint CHAR(64) NOT NULL,
	moderated_by BIGINT UNSIGNED NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	published_at DATETIME(3) NULL,
	KEY ix_answers_question (question_id, status, helpful),
	KEY ix_answers_user (user_id, created_at),
	KEY ix_answers_product_time (product_id, created_at),
	KEY ix_answers_status (status, id),
	KEY ix_answers_fingerprint (fingerprint),
	CONSTRAINT fk_answers_question FOREIGN KEY (question_id) REFERENCES questions (id) ON DELETE CASCADE,
	CONSTRAINT fk_answers_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- "Helpful" votes: one per shopper and answer (never on one's own).
CREATE TABLE IF NOT EXISTS answer_votes (
	answer_id BIGINT UNSIGNED NOT NULL,
	user_id BIGINT UNSIGNED NOT NULL,
	created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	PRIMARY KEY (answer_id, user_id),
	KEY ix_answer_votes_user (user_id),
	CONSTRAINT fk_answer_votes_answer FOREIGN KEY (answer_id) REFERENCES answers (id) ON DELETE CASCADE,
	CONSTRAINT fk_answer_votes_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
