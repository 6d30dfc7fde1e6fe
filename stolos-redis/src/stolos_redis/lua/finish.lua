-- finish(base, call, job_id, token, state, message?, log_path?) -> {'ok'} or {'lost', why}
-- The lease stays held, with effects pending, until release; the message becomes the
-- last error (none clears it).
local id, token, state = ARGV[3], ARGV[4], ARGV[5]
local message, log_path = opt(ARGV[6]), opt(ARGV[7])
if repeated(id) then return {'ok'} end
local rec = job_key(id)
local f = redis.call('HMGET', rec, 'state', 'owner', 'attempts')
if f[1] ~= 'running' or not holds(id, token) then return lost(id) end
set_state(id, 'running', state)
redis.call('HSET', rec, 'effects', '1', 'wake', '0')
set_error(id, message)
if log_path then redis.call('HSET', rec, 'log', log_path) end
log(id, state, f[2], f[3], message)
remember(id, state)
return {'ok'}
