-- wake(base, call, worker?, then (job_id, priority, skip_reason?) per job)
--   -> resulting states (the same when the call is repeated)
local worker = opt(ARGV[3])
local out = {}
for i = 4, #ARGV, 3 do
  local id, priority, skip_reason = ARGV[i], ARGV[i + 1], opt(ARGV[i + 2])
  local f = redis.call('HMGET', job_key(id), 'state', 'attempts', 'wake')
  local state = f[1]
  if not state then
    state = create(id, priority, 'queued', skip_reason, worker)
  elseif state == 'pending' or state == 'waiting' then
    requeue(id, state, worker, f[2], 'woken', false)
    state = 'queued'
  elseif state == 'running' and f[3] ~= '1' then
    redis.call('HSET', job_key(id), 'wake', '1')
    log(id, state, worker, f[2], 'woken while running')
  end
  out[#out + 1] = state
end
return out
