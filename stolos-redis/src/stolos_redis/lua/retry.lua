-- retry(base, call, job_id, token, not_before?, message?, log_path?) -> {'ok'} or {'lost', why}
-- The attempt stays counted; the message becomes the last error (none clears it).
local id, token = ARGV[3], ARGV[4]
local not_before, message, log_path = opt(ARGV[5]), opt(ARGV[6]), opt(ARGV[7])
if repeated(id) then return {'ok'} end
local rec = job_key(id)
local f = redis.call('HMGET', rec, 'state', 'owner', 'attempts')
if f[1] ~= 'running' or not holds(id, token) then return lost(id) end
requeue(id, 'running', f[2], f[3], message, not_before)
set_error(id, message)
if log_path then redis.call('HSET', rec, 'log', log_path) end
remember(id, 'queued')
return {'ok'}
