-- readd(base, call, job_id, priority, skip_reason?, worker?) -> state before the call, or ''
local id, priority, skip_reason, worker = ARGV[3], ARGV[4], opt(ARGV[5]), opt(ARGV[6])
local state = redis.call('HGET', job_key(id), 'state')
if not state then
  create(id, priority, 'queued', skip_reason, worker)
  remember(id, '')
  return ''
end
local again = repeated(id)
if again then return again end
if state == 'queued' or state == 'running' then return state end
unlease(id)
unqueue(id)
start(id, state, priority, 'queued', skip_reason, worker, 're-added')
remember(id, state)
return state
