--
-- test/demo/schema.sql: the demo application behind "make run".
--
-- A multi-tenant web shop with a blog: the entities every web application
-- has (users, profiles, sessions, a product catalogue, orders, posts,
-- threaded comments, tags), real foreign keys, and a few thousand rows of
-- generated, reproducible data.  The tour (tour.sql) runs against it.
--
-- Loaded into database steward_demo by test/sandbox, and by the TAP test
-- t/002_demo.pl so that it cannot rot.
--
SET client_min_messages = warning;
DO $$ BEGIN PERFORM setseed(0.42); END $$;  -- reproducible data

CREATE TABLE tenants (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tenants IS 'Customers of the SaaS: every row below belongs to one';

CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants,
    email       text NOT NULL,
    name        text NOT NULL,
    role        text NOT NULL DEFAULT 'member'
                CHECK (role IN ('admin', 'staff', 'member')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email)
);
CREATE INDEX ON users (tenant_id);

CREATE TABLE user_profiles (
    user_id     bigint PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    bio         text,
    avatar_url  text,
    birth_date  date,
    phone       text,
    preferences jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE user_sessions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    token       text NOT NULL UNIQUE,
    ip          inet,
    user_agent  text,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON user_sessions (user_id);

CREATE TABLE categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants,
    name        text NOT NULL,
    slug        text NOT NULL,
    parent_id   bigint REFERENCES categories,
    UNIQUE (tenant_id, slug)
);
CREATE INDEX ON categories (parent_id);

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants,
    category_id bigint REFERENCES categories,
    sku         text NOT NULL,
    name        text NOT NULL,
    description text,
    price       numeric(12,2) NOT NULL CHECK (price >= 0),
    stock       integer NOT NULL DEFAULT 0,
    attributes  jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, sku)
);
CREATE INDEX ON products (category_id);

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants,
    user_id     bigint NOT NULL REFERENCES users,
    total       numeric(12,2) NOT NULL DEFAULT 0,
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    shipping_address jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON orders (tenant_id);
CREATE INDEX ON orders (user_id);

CREATE TABLE order_items (
    order_id    bigint NOT NULL REFERENCES orders ON DELETE CASCADE,
    product_id  bigint NOT NULL REFERENCES products,
    quantity    integer NOT NULL CHECK (quantity > 0),
    unit_price  numeric(12,2) NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX ON order_items (product_id);

CREATE TABLE posts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants,
    user_id     bigint NOT NULL REFERENCES users,
    title       text NOT NULL,
    slug        text NOT NULL,
    content     text NOT NULL,
    status      text NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'published', 'archived')),
    published_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, slug)
);
CREATE INDEX ON posts (user_id);

CREATE TABLE comments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants,
    post_id     bigint NOT NULL REFERENCES posts ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users,
    parent_id   bigint REFERENCES comments ON DELETE CASCADE,
    content     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON comments (post_id);
CREATE INDEX ON comments (user_id);
CREATE INDEX ON comments (parent_id);

CREATE TABLE tags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint NOT NULL REFERENCES tenants,
    name        text NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE post_tags (
    post_id     bigint NOT NULL REFERENCES posts ON DELETE CASCADE,
    tag_id      bigint NOT NULL REFERENCES tags ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX ON post_tags (tag_id);

--
-- Data: 3 tenants, 300 users, and the rest in proportion.
--
INSERT INTO tenants (name, slug) VALUES
    ('Acme Corporation', 'acme'),
    ('Globex', 'globex'),
    ('Initech', 'initech');

CREATE TEMP TABLE first_names (i serial, name text);
INSERT INTO first_names (name) SELECT unnest(ARRAY[
    'Ann', 'Bob', 'Chloé', 'Dmitri', 'Emma', 'Farid', 'Grace', 'Hiro',
    'Inès', 'Jonas', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Oskar', 'Priya',
    'Quinn', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yara']);
CREATE TEMP TABLE last_names (i serial, name text);
INSERT INTO last_names (name) SELECT unnest(ARRAY[
    'Adams', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García',
    'Hansen', 'Ivanova', 'Jensen', 'Kowalski', 'López', 'Müller', 'Nakamura',
    'O''Brien', 'Petrov', 'Rossi', 'Schmidt', 'Tanaka', 'Weber']);

INSERT INTO users (tenant_id, email, name, role, created_at, updated_at)
SELECT t, lower(translate(f.name, 'éèç', 'eec')) || '.' || lower(replace(l.name, '''', '')) || g
           || '@' || (ARRAY['example.com', 'example.org', 'example.net'])[t],
       f.name || ' ' || l.name,
       CASE WHEN g % 50 = 1 THEN 'admin' WHEN g % 10 = 2 THEN 'staff' ELSE 'member' END,
       ts, ts
FROM generate_series(1, 300) g
CROSS JOIN LATERAL (SELECT 1 + (g % 3) AS t,
                           timestamptz '2025-01-01' + (g * interval '1 day') / 3 AS ts) x
JOIN first_names f ON f.i = 1 + (g * 7) % 24
JOIN last_names l ON l.i = 1 + (g * 13) % 20;

INSERT INTO user_profiles (user_id, bio, avatar_url, birth_date, phone, preferences)
SELECT id,
       'Hi, I am ' || split_part(name, ' ', 1) || '.',
       'https://cdn.example.com/avatars/' || id || '.png',
       date '1960-01-01' + (random() * 15000)::int,
       '+4420' || lpad((random() * 99999999)::bigint::text, 8, '0'),
       jsonb_build_object('theme', (ARRAY['light', 'dark'])[1 + id % 2],
                          'newsletter', id % 3 = 0, 'language', (ARRAY['en', 'de', 'fr', 'ja'])[1 + id % 4])
FROM users WHERE id % 5 <> 0;

INSERT INTO user_sessions (user_id, token, ip, user_agent, expires_at, created_at)
SELECT u.id, md5(u.id || '-' || s || '-' || random()),
       ('10.' || (u.id % 250) || '.' || s || '.' || (1 + u.id % 200))::inet,
       (ARRAY['Mozilla/5.0 (X11; Linux x86_64)', 'Mozilla/5.0 (iPhone)', 'curl/8.5'])[1 + (u.id + s) % 3],
       timestamptz '2026-11-01' + s * interval '7 days',
       timestamptz '2026-11-01' + s * interval '1 day'
FROM users u, generate_series(1, 2) s;

-- two levels of categories per tenant
INSERT INTO categories (tenant_id, name, slug)
SELECT t.id, c, lower(c) FROM tenants t,
       unnest(ARRAY['Books', 'Electronics', 'Garden', 'Kitchen']) c;
INSERT INTO categories (tenant_id, name, slug, parent_id)
SELECT p.tenant_id, p.name || ' / ' || s, p.slug || '-' || lower(s), p.id
FROM categories p, unnest(ARRAY['New', 'Used']) s;

INSERT INTO products (tenant_id, category_id, sku, name, description, price, stock, attributes, created_at)
SELECT c.tenant_id, c.id,
       'SKU-' || c.tenant_id || '-' || lpad(g::text, 4, '0'),
       c.name || ' item ' || g,
       'A fine product from the ' || c.name || ' range.',
       round((5 + random() * 495)::numeric, 2),
       (random() * 100)::int,
       jsonb_build_object('color', (ARRAY['red', 'green', 'blue', 'black'])[1 + g % 4], 'weight_g', 100 + g * 3),
       timestamptz '2025-01-01' + g * interval '1 day'
FROM generate_series(1, 200) g
JOIN categories c ON c.id = 1 + (g % (SELECT count(*) FROM categories));

INSERT INTO orders (tenant_id, user_id, status, shipping_address, created_at, updated_at)
SELECT u.tenant_id, u.id,
       (ARRAY['pending', 'paid', 'shipped', 'delivered', 'delivered', 'delivered', 'cancelled', 'refunded'])[1 + g % 8],
       jsonb_build_object('street', (g % 97) || ' Main Street', 'city',
                          (ARRAY['London', 'Berlin', 'Paris', 'Tokyo', 'Oslo'])[1 + g % 5], 'zip', lpad((g * 37 % 99999)::text, 5, '0')),
       timestamptz '2025-06-01' + g * interval '5 hours',
       timestamptz '2025-06-01' + g * interval '5 hours'
FROM generate_series(1, 1500) g
JOIN users u ON u.id = 1 + (g * 17) % 300;

-- 1 to 4 distinct products of the order's tenant per order
INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT DISTINCT ON (o.id, p.id) o.id, p.id, 1 + (random() * 2)::int, p.price
FROM orders o
CROSS JOIN LATERAL generate_series(1, 1 + o.id % 4) k
JOIN LATERAL (SELECT id, price FROM products
              WHERE tenant_id = o.tenant_id
              ORDER BY id OFFSET floor(random() * 60 + k * 0) LIMIT 1) p ON true;

UPDATE orders o SET total = s.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM order_items GROUP BY order_id) s
WHERE s.order_id = o.id;

INSERT INTO posts (tenant_id, user_id, title, slug, content, status, published_at, created_at)
SELECT u.tenant_id, u.id,
       'Post number ' || g || ' by ' || split_part(u.name, ' ', 1),
       'post-' || g,
       repeat('Lorem ipsum dolor sit amet. ', 1 + g % 20),
       (ARRAY['draft', 'published', 'published', 'archived'])[1 + g % 4],
       CASE WHEN g % 4 IN (1, 2) THEN timestamptz '2025-03-01' + g * interval '1 day' END,
       timestamptz '2025-03-01' + g * interval '1 day'
FROM generate_series(1, 400) g
JOIN users u ON u.id = 1 + (g * 11) % 300;

-- top-level comments by users of the post's tenant ...
INSERT INTO comments (tenant_id, post_id, user_id, content, created_at)
SELECT p.tenant_id, p.id, u.id, 'Nice post! (' || g || ')', p.created_at + g * interval '1 hour'
FROM posts p
CROSS JOIN generate_series(1, 2) g
JOIN users u ON u.tenant_id = p.tenant_id AND u.id = (SELECT min(id) FROM users
                                                     WHERE tenant_id = p.tenant_id AND id > (p.id * 3 + g) % 290);
-- ... and replies, threaded under a comment of the same post
INSERT INTO comments (tenant_id, post_id, user_id, parent_id, content, created_at)
SELECT c.tenant_id, c.post_id, c.user_id, c.id, 'Thanks, I agree.', c.created_at + interval '30 minutes'
FROM comments c WHERE c.id % 2 = 0;
INSERT INTO comments (tenant_id, post_id, user_id, parent_id, content, created_at)
SELECT c.tenant_id, c.post_id, c.user_id, c.id, 'Me too.', c.created_at + interval '1 hour'
FROM comments c WHERE c.parent_id IS NOT NULL AND c.id % 3 = 0;

INSERT INTO tags (tenant_id, name)
SELECT t.id, tag FROM tenants t,
       unnest(ARRAY['news', 'howto', 'release', 'opinion', 'events', 'tips']) tag;

INSERT INTO post_tags (post_id, tag_id)
SELECT DISTINCT p.id, tg.id
FROM posts p
CROSS JOIN generate_series(0, 1) k
JOIN tags tg ON tg.tenant_id = p.tenant_id
            AND tg.name = (ARRAY['news', 'howto', 'release', 'opinion', 'events', 'tips'])[1 + (p.id + k * 3) % 6];

ANALYZE;
RESET client_min_messages;
