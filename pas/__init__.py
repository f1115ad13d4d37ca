"""HL7 Da Vinci PAS (FHIR R4) door into the prior-authorization case record.

Named pas, not fhir: a top-level package called fhir would hide the fhir.resources library.
"""
