-- Prepended to every queue script: the key layout of one app (see keys.py), the server
-- clock, and the steps that keep a job record, its app's queue and its indexes in step.
-- ARGV[1] is always the app's key base "<prefix>{<tag>}:" and KEYS[1] its meta hash; the
-- other keys are built from the base and share its hash tag, hence its Cluster slot.
-- ARGV[2] is always the call id: one per backend method call, the same when the client
-- sends the call again because the reply was lost.  The script's own arguments follow.
-- Optional string arguments come as "" (none) or "=" .. value.
-- Numbers are written with string.format: Lua's own conversion keeps only 14 digits.

local B = ARGV[1]
local CALL = ARGV[2]
local META = B .. 'meta'
local QUEUE = B .. 'queue'
local DELAYED = B .. 'delayed'
local LEASES = B .. 'leases'

local TIME = redis.call('TIME')
local NOW = tonumber(TIME[1]) + tonumber(TIME[2]) / 1000000
local NOW_S = TIME[1] .. '.' .. string.format('%06d', tonumber(TIME[2]))
local NOW_US = tonumber(TIME[1]) * 1000000 + tonumber(TIME[2])

local function job_key(id) return B .. 'job:' .. id end

local function opt(arg)
  if arg == '' then return false end
  return string.sub(arg, 2)
end

local function set_state(id, old, new)
  if old then redis.call('ZREM', B .. 'state:' .. old, id) end
  redis.call('ZADD', B .. 'state:' .. new, 0, id)
  redis.call('HSET', job_key(id), 'state', new, 'updated', NOW_S)
end

local function log(id, state, worker, attempt, message)
  local entry = {at = NOW_S, state = state, attempt = tonumber(attempt) or 0}
  if worker then entry.worker = worker end
  if message then entry.message = message end
  redis.call('RPUSH', B .. 'hist:' .. id, cjson.encode(entry))
end

-- The back of the job's priority.  Stamps increase strictly within an app and follow the
-- server clock in microseconds, so the queues of different apps compare by age too.
local function push(id, priority)
  local last = tonumber(redis.call('HGET', META, 'stamp') or '0')
  local stamp = math.max(last + 1, NOW_US)
  redis.call('HSET', META, 'stamp', string.format('%d', stamp))
  local member = string.format('%016d', stamp) .. ':' .. id
  redis.call('ZADD', QUEUE, priority, member)
  redis.call('HSET', job_key(id), 'member', member)
end

local MEMBER_ID_START = 18  -- after the 16-digit stamp and ':'

local function unqueue(id)
  local rec = job_key(id)
  local member = redis.call('HGET', rec, 'member')
  if member then redis.call('ZREM', QUEUE, member) end
  redis.call('ZREM', DELAYED, id)
  redis.call('HDEL', rec, 'member', 'not_before')
end

local function extend(id, seconds)
  local expires = string.format('%.6f', NOW + tonumber(seconds))
  redis.call('HSET', job_key(id), 'expires', expires)
  redis.call('ZADD', LEASES, expires, id)
  return expires
end

-- A new lease with a fresh fencing token (strictly increasing within the app).
local function lease(id, worker, seconds)
  local token = string.format('%d', redis.call('HINCRBY', META, 'token', 1))
  redis.call('HSET', job_key(id), 'owner', worker, 'token', token)
  return token, extend(id, seconds)
end

-- The record keeps the last token it handed out; only a named owner makes a lease.
local function unlease(id)
  redis.call('HDEL', job_key(id), 'owner', 'expires', 'effects')
  redis.call('ZREM', LEASES, id)
end

-- The lease named by token is the job's current one (expired or not: until another
-- worker takes the job over, its holder may still write).
local function holds(id, token)
  local f = redis.call('HMGET', job_key(id), 'owner', 'token')
  return f[1] ~= false and f[2] == token
end

-- A call that changes a job remembers its id and its answer on the record: the same
-- call sent again (its first reply was lost) gets the same answer and changes nothing,
-- while another call is judged afresh.
local function remember(id, answer)
  redis.call('HSET', job_key(id), 'call', CALL, 'answer', answer)
end

local function repeated(id)
  local f = redis.call('HMGET', job_key(id), 'call', 'answer')
  if f[1] == CALL then return f[2] end
  return false
end

local function lost(id)
  local f = redis.call('HMGET', job_key(id), 'state', 'owner', 'token')
  if not f[1] then return {'lost', 'the job does not exist'} end
  if not f[2] then return {'lost', 'the job is ' .. f[1] .. ' and not leased'} end
  return {'lost', 'the job is ' .. f[1] .. ' under lease ' .. f[3] .. ' of ' .. f[2]}
end

-- Set the last error (or clear it with false).
local function set_error(id, message)
  if message then
    redis.call('HSET', job_key(id), 'error', message)
  else
    redis.call('HDEL', job_key(id), 'error')
  end
end

-- Queued again without lease or wake flag: at the back of its priority, or in the
-- delayed set when not_before (a string, or false) is still ahead.
local function requeue(id, old, worker, attempt, message, not_before)
  local rec = job_key(id)
  unlease(id)
  unqueue(id)
  redis.call('HSET', rec, 'wake', '0')
  set_state(id, old, 'queued')
  if not_before and tonumber(not_before) > NOW then
    redis.call('ZADD', DELAYED, not_before, id)
    redis.call('HSET', rec, 'not_before', not_before)
  else
    push(id, redis.call('HGET', rec, 'priority'))
  end
  log(id, 'queued', worker, attempt, message)
end

-- A fresh start (new or re-added job): zero attempts, no wake flag, no error but the
-- skip reason.
local function start(id, old, priority, state, skip_reason, worker, message)
  local rec = job_key(id)
  redis.call('HSET', rec, 'priority', priority, 'attempts', '0', 'wake', '0')
  set_error(id, skip_reason)
  if skip_reason then state = 'skipped' end
  set_state(id, old, state)
  if state == 'queued' then push(id, priority) end
  log(id, state, worker, 0, skip_reason or message)
  return state
end

local function create(id, priority, state, skip_reason, worker)
  redis.call('HSET', job_key(id), 'created', NOW_S)
  return start(id, false, priority, state, skip_reason, worker, false)
end

-- Script bodies follow.
