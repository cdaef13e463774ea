-- Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d).
-- One database per Plugboard service: POSTGRES_DB creates "catalog"; these are the other two.
CREATE DATABASE instance;
CREATE DATABASE gateway;
