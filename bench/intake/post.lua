-- wrk script: every request is a new push (a new commit SHA), so every delivery creates a new check.
-- args: <body template file, with @SHA@ placeholders> <8 hex digits unique to this run> <X-Gitlab-Token> [think ms]
-- With a think time each connection waits a random 0..2×think ms after every answer: a bounded offered load.
local counter = 0
local body_template
local prefix
local nthreads = 0
local think = 0

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
  think = tonumber(args[4] or "0")
end

-- Uniform in [0, 2 × think] (mean: think), so the connections do not fire in lock-step bursts.
function delay()
  if think <= 0 then return 0 end
  return math.random(0, 2 * think)
end

function request()
  counter = counter + 1
  local sha = prefix .. string.format("%02x", tid) .. string.format("%030x", counter)
  local body = (string.gsub(body_template, "@SHA@", sha))
  return wrk.format(nil, nil, nil, body)
end
