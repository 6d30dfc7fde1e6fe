-- release(base, call, job_id, token) -> 1 if released, 0 if the lease was no longer held
-- After finish: the effects are confirmed.  Still running: the job goes back to the
-- queue and the attempt is not counted.  Sent again, it finds the lease gone: a no-op.
local id, token = ARGV[3], ARGV[4]
if not holds(id, token) then return 0 end
local rec = job_key(id)
local f = redis.call('HMGET', rec, 'state', 'owner', 'attempts')
if f[1] == 'running' then
  redis.call('HINCRBY', rec, 'attempts', -1)
  requeue(id, 'running', f[2], f[3], 'given back', false)
else
  unlease(id)
end
return 1
