-- User names are unique regardless of case: name_key is the name's key
-- (internal/text.Fold: Unicode simple case folding, invisible characters
-- dropped, runs of spaces as one), and no two users share a key.
--
-- SQL cannot compute the key (lower() folds ASCII only), so the store
-- fills it in Go right after the migrations (store/migrate.go,
-- keyUserNames), for every user whose key is NULL, oldest first. When two
-- existing users are look-alikes (Admin beside admin), the older one gets
-- the key and the newer keeps NULL: the migration changes no account and
-- never fails on them. Such a user can still log in; the users page marks
-- them, so that an admin can decide (disable them). No new look-alike can
-- be created.
ALTER TABLE users ADD COLUMN name_key TEXT;
CREATE UNIQUE INDEX users_name_key ON users (name_key);
