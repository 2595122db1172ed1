-- wrk script: every request is a new push (a new commit SHA), so every delivery creates a new check.
-- args: <body template file, with @SHA@ placeholders> <8 hex digits unique to this run> <X-Gitlab-Token>
local counter = 0
local body_template
local prefix
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body_template = f:read("*a")
  f:close()
  prefix = args[2]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Gitlab-Token"] = args[3]
  wrk.headers["X-Gitlab-Event"] = "Push Hook"
end

function request()
  counter = counter + 1
  local sha = prefix .. string.format("%02x", tid) .. string.format("%030x", counter)
  local body = (string.gsub(body_template, "@SHA@", sha))
  return wrk.format(nil, nil, nil, body)
end
