-- Argo CD health of a Wake KafkaTrigger (serving.wake.dev).
--
-- Healthy:     Wake observed the current generation and Ready is True: the
--              broker is reachable, the dispatcher consumes in the group and
--              the Function is ready.
-- Degraded:    Ready is False (the broker is unreachable, a topic is missing,
--              the Function is missing or not ready); the message is Ready's.
-- Progressing: anything else: no status yet, the generation not observed
--              yet, Ready Unknown (joining the consumer group) or absent.
--
-- Delivering and DevelopmentBroker are informational: a message that keeps
-- failing, or the embedded development broker, leave the trigger Healthy,
-- and their messages are appended.
--
-- Only Argo CD's base and table libraries are used, so that the script runs
-- from argocd-cm as well, where the string library is not loaded.
local hs = {}

-- describe is a condition's message, else its reason, else fallback.
local function describe(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

local st = obj.status
if st == nil or st.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for Wake to observe the KafkaTrigger"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and st.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for Wake to observe generation " .. generation .. " (status is of generation " .. st.observedGeneration .. ")"
  return hs
end

-- ready is the Ready condition; notes are the messages of the informational
-- conditions (severity Warning or Info), which never decide Ready.
local ready = nil
local notes = ""
if st.conditions ~= nil then
  for _, c in ipairs(st.conditions) do
    if c.type == "Ready" then
      ready = c
    elseif (c.severity == "Warning" or c.severity == "Info") and c.message ~= nil and c.message ~= "" then
      notes = notes .. "; " .. tostring(c.type) .. " is " .. tostring(c.status) .. ": " .. c.message
    end
  end
end
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(ready, "Ready is False")
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = "KafkaTrigger is ready" .. notes
else
  hs.status = "Progressing"
  hs.message = describe(ready, "Waiting for the KafkaTrigger to become ready")
end
return hs
