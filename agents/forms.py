from django import forms

from agents.models import AgentProfile


class AgentStatusForm(forms.Form):
    agent_status = forms.ChoiceField(choices=AgentProfile.Status.choices)
