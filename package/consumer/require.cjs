// A CommonJS app: require() of the ES-module entries (Node >= 20.19 / 22.12).
const { createIdleSession } = require('idle-logout/server');
const { RedisSessionStore } = require('idle-logout/server/redis');
const { startIdleLogout } = require('idle-logout/client');
console.log(typeof createIdleSession, typeof RedisSessionStore, typeof startIdleLogout);
