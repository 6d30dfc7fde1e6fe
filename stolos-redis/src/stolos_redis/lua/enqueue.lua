-- enqueue(base, call, worker?, then (job_id, priority, queue "1"|"0", skip_reason?) per job)
--   -> {created 1|0, state} per job
-- Each job is created only if absent.  Sent again (its first reply was lost), the call
-- answers "created" again for the jobs it created; a job named twice is created once.
local worker = opt(ARGV[3])
local out, seen = {}, {}
for i = 4, #ARGV, 4 do
  local id = ARGV[i]
  local state = redis.call('HGET', job_key(id), 'state')
  local created = 0
  if not state then
    local initial = 'pending'
    if ARGV[i + 2] == '1' then initial = 'queued' end
    state = create(id, ARGV[i + 1], initial, opt(ARGV[i + 3]), worker)
    remember(id, state)
    created = 1
  elseif not seen[id] then
    local again = repeated(id)
    if again then state, created = again, 1 end
  end
  seen[id] = true
  out[#out + 1] = {created, state}
end
return out
