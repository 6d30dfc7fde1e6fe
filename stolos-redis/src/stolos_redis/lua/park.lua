-- park(base, call, job_id, token, message?) -> {'ok', state} or {'lost', why}
-- The attempt is not counted.
local id, token, message = ARGV[3], ARGV[4], opt(ARGV[5])
local again = repeated(id)
if again then return {'ok', again} end
local rec = job_key(id)
local f = redis.call('HMGET', rec, 'state', 'owner', 'wake', 'attempts')
if f[1] ~= 'running' or not holds(id, token) then return lost(id) end
redis.call('HINCRBY', rec, 'attempts', -1)
local state = 'waiting'
if f[3] == '1' then
  state = 'queued'
  requeue(id, 'running', f[2], f[4], message or 'woken while running', false)
else
  unlease(id)
  set_state(id, 'running', 'waiting')
  log(id, 'waiting', f[2], f[4], message)
end
remember(id, state)
return {'ok', state}
