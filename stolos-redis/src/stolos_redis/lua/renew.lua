-- renew(base, call, job_id, token, lease_seconds) -> {'ok', expires} or {'lost', why}
local id, token = ARGV[3], ARGV[4]
if not holds(id, token) then return lost(id) end
return {'ok', extend(id, ARGV[5])}
