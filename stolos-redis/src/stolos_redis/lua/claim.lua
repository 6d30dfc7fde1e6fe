-- claim(base, call, worker, lease_seconds, find "1"|"0")
--   -> {} or {job_id, token, attempt, expires, state, resume "1"|"0"}
-- With find "1" (the call is sent again: its first reply may have been lost) it only
-- looks for the job this call already leased, so that no job stays leased to nobody.
local worker, seconds, find = ARGV[3], ARGV[4], ARGV[5]
local EXPIRED_BATCH, DUE_BATCH = 16, 64  -- bound the work of one call

if find == '1' then
  for _, id in ipairs(redis.call('ZRANGE', LEASES, 0, -1)) do
    local f = redis.call('HMGET', job_key(id), 'call', 'owner', 'token', 'attempts', 'expires')
    if f[1] == CALL and f[2] == worker then return {id, f[3], f[4], f[5], 'running', '0'} end
  end
  return {}
end

-- 1. Expired leases: a running job goes back to the queue (its attempt stays counted); a
-- finished job whose effects are pending is handed to this worker to redo them.
local expired = redis.call('ZRANGEBYSCORE', LEASES, '-inf', NOW_S, 'LIMIT', 0, EXPIRED_BATCH)
for _, id in ipairs(expired) do
  local f = redis.call('HMGET', job_key(id), 'state', 'owner', 'attempts')
  if f[1] == 'running' then
    requeue(id, 'running', worker, f[3], 'lease of ' .. f[2] .. ' expired', false)
  else
    local token, expires = lease(id, worker, seconds)
    -- logged as running, so the history never shows a second completion
    log(id, 'running', worker, f[3],
        'resuming the effects of ' .. f[1] .. ': ' .. f[2] .. ' did not confirm them')
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
remember(id, 'running')
return {id, token, attempt, expires, 'running', '0'}
