-- Sample data for the demo and the Docker tests: AqStream's payment_service_db.
CREATE SCHEMA payment_service;
CREATE TABLE payment_service.payments (
    id bigint PRIMARY KEY,
    amount numeric(14,2) NOT NULL,
    currency char(3) NOT NULL,
    status text NOT NULL CHECK (status IN ('new', 'paid', 'refunded'))
);
INSERT INTO payment_service.payments
SELECT g, g * 1.25, 'RUB', (ARRAY['new', 'paid', 'refunded'])[1 + g % 3]
FROM generate_series(1, 10000) g;
