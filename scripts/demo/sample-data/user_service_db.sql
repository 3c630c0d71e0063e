-- Sample data for the demo and the Docker tests: AqStream's user_service_db.
CREATE SCHEMA user_service;
CREATE TABLE user_service.users (
    id uuid PRIMARY KEY,
    email text UNIQUE NOT NULL,
    display_name text,
    created_at timestamptz NOT NULL
);
-- Deterministic ids (md5-derived, not gen_random_uuid) so every run has the same rows.
INSERT INTO user_service.users
SELECT md5('user' || g)::uuid, 'user' || g || '@example.org',
       CASE WHEN g % 3 = 0 THEN NULL ELSE 'Пользователь ' || g END,
       timestamptz '2023-06-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 5000) g;
