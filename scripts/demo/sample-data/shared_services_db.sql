-- Sample data for the demo and the Docker tests: AqStream's shared_services_db, with the
-- values that break naive dumps and comparisons: NULLs, quotes, tabs, newlines,
-- backslashes, Cyrillic text, jsonb, numeric and timestamps.
CREATE SCHEMA event_service;
CREATE TABLE event_service.events (
    id bigserial PRIMARY KEY,
    organizer_id int NOT NULL,
    title text NOT NULL,
    description text,
    payload jsonb,
    starts_at timestamptz NOT NULL,
    price numeric(12,2)
);
INSERT INTO event_service.events (organizer_id, title, description, payload, starts_at, price)
SELECT g % 97,
       'Event ' || g || CASE WHEN g % 5 = 0 THEN E' with ''quotes'', a\ttab and a\nnewline' ELSE '' END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'Описание события №' || g || E' \\ backslash' END,
       jsonb_build_object('seats', g % 300, 'tags', jsonb_build_array('a', g % 3)),
       timestamptz '2024-01-15 03:00:00+00' + g * interval '17 minutes',
       CASE WHEN g % 4 = 0 THEN NULL ELSE (g % 1000) / 3.0 END
FROM generate_series(1, 20000) g;

CREATE TABLE event_service.registrations (
    event_id bigint NOT NULL REFERENCES event_service.events (id),
    user_email text NOT NULL,
    registered_at timestamptz NOT NULL,
    PRIMARY KEY (event_id, user_email)
);
INSERT INTO event_service.registrations
SELECT 1 + (g % 20000), 'user' || (g % 4999) || '@example.org', timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, 30000) g;

CREATE SCHEMA notification_service;
CREATE TABLE notification_service.templates (code text PRIMARY KEY, body text NOT NULL);
INSERT INTO notification_service.templates VALUES
    ('welcome', E'Здравствуйте, {{name}}!\nДобро пожаловать в AqStream.'),
    ('reminder', 'Your event "{{title}}" starts at {{time}}'),
    ('empty', '');
