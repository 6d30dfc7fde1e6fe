-- claim(base, call, worker, lease_seconds)
--   -> {} or {job_id, token, attempt, expires, state, resume "1"|"0"}
local worker, seconds = ARGV[3], ARGV[4]
local EXPIRED_BATCH, DUE_BATCH = 16, 64  -- bound the work of one call

-- 1. Expired leases: a running job goes back to the queue (its attempt stays counted); a
-- finished job whose effects are pending is handed to this worker to redo them.
local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', NOW_S, 'LIMIT', 0, EXPIRED_BATCH)
for _, id in ipairs(expired) do
  local f = redis.call('HMGET', job_key(id), 'state', 'owner', 'attempts')
  if f[1] == 'running' then
    requeue(id, 'running', worker, f[3], 'lease of ' .. f[2] .. ' expired', false)
  else
    local token, expires = lease(id, worker, seconds)
    log(id, f[1], worker, f[3], 'resumed: the effects of ' .. f[2] .. ' were not confirmed')
    return {id, token, f[3], expires, f[1], '1'}
  end
end

-- 2. Delayed jobs that became due join the back of their priority.
local due = redis.call('ZRANGEBYSCORE', DELAYED, '-inf', NOW_S, 'LIMIT', 0, DUE_BATCH)
for _, id in ipairs(due) do
  redis.call('ZREM', DELAYED, id)
  redis.call('HDEL', job_key(id), 'not_before')
  push(id, redis.call('HGET', job_key(id), 'priority'))
end

-- 3. The head of the queue: lowest priority, then oldest.
local head = redis.call('ZRANGE', QUEUE, 0, 0)
if #head == 0 then return {} end
local id = string.sub(head[1], MEMBER_ID_START)
redis.call('ZREM', QUEUE, head[1])
local rec = job_key(id)
redis.call('HDEL', rec, 'member')
redis.call('HSET', rec, 'wake', '0')
local attempt = string.format('%d', redis.call('HINCRBY', rec, 'attempts', 1))
local token, expires = lease(id, worker, seconds)
set_state(id, 'queued', 'running')
log(id, 'running', worker, attempt, false)
return {id, token, attempt, expires, 'running', '0'}
