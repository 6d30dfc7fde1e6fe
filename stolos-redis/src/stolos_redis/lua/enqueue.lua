-- enqueue(base, call, job_id, priority, queue "1"|"0", skip_reason?, worker?)
--   -> {created 1|0, state}
local id = ARGV[3]
local state = redis.call('HGET', job_key(id), 'state')
if state then
  local again = repeated(id)
  if again then return {1, again} end
  return {0, state}
end
local initial = 'pending'
if ARGV[5] == '1' then initial = 'queued' end
state = create(id, ARGV[4], initial, opt(ARGV[6]), opt(ARGV[7]))
remember(id, state)
return {1, state}
