-- finish(base, call, job_id, token, state, message?, log_path?, release) -> {'ok'} or
-- {'lost', why}
-- The lease stays held, with effects pending, until release; with release '1' (the job
-- has no effects to settle) it is released here instead.  The message becomes the last
-- error (none clears it).
local id, token, state = ARGV[3], ARGV[4], ARGV[5]
local message, log_path, release = opt(ARGV[6]), opt(ARGV[7]), ARGV[8] == '1'
if repeated(id) then return {'ok'} end
local rec = job_key(id)
local f = redis.call('HMGET', rec, 'state', 'owner', 'attempts')
if f[1] ~= 'running' or not holds(id, token) then return lost(id) end
set_state(id, 'running', state)
redis.call('HSET', rec, 'wake', '0')
if release then unlease(id) else redis.call('HSET', rec, 'effects', '1') end
set_error(id, message)
if log_path then redis.call('HSET', rec, 'log', log_path) end
log(id, state, f[2], f[3], message)
remember(id, state)
return {'ok'}
