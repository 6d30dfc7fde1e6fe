-- mark(base, call, state, only_from "s1,s2", message?, worker?, job_id...)
--   -> 1 (changed by this call) or 0 per job
-- The message becomes the job's last error (none clears it).
local new, message, worker = ARGV[3], opt(ARGV[5]), opt(ARGV[6])
local allowed = {}
for s in string.gmatch(ARGV[4], '[^,]+') do allowed[s] = true end
local out = {}
for i = 7, #ARGV do
  local id = ARGV[i]
  local f = redis.call('HMGET', job_key(id), 'state', 'owner', 'expires', 'attempts')
  local live_lease = f[2] and tonumber(f[3]) > NOW
  if f[1] and repeated(id) then
    out[#out + 1] = 1
  elseif f[1] and allowed[f[1]] and not live_lease then
    set_error(id, message)
    if new == 'queued' then
      requeue(id, f[1], worker, f[4], message, false)
    else
      unlease(id)
      unqueue(id)
      redis.call('HSET', job_key(id), 'wake', '0')
      set_state(id, f[1], new)
      log(id, new, worker, f[4], message)
    end
    remember(id, '1')
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
